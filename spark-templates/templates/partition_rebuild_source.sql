-- partition-rebuild {{ name }}: the rows of {{ table }} for one day ({{ "{{ ds }}" }}).
-- They replace every row where {{ partition_column }} = {{ "{{ ds }}" }}.
{{ query }}
