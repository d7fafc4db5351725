-- aggregation-batch {{ name }}: the rows of {{ target }} for one logical date.
-- Run-time parameters: {{ "{{ ds }}" }} (YYYY-MM-DD), {{ "{{ ds_nodash }}" }} (YYYYMMDD).
-- The result must contain the partition column `{{ partition_column }}` equal to {{ "{{ ds }}" }}.
{{ query }}
