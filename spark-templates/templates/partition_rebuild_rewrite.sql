-- partition-rebuild {{ name }}: rewrite the files of one day of {{ table }}.
CALL {{ catalog }}.system.rewrite_data_files(
  table => '{{ table }}',
  where => "{{ partition_column }} = '{{ "{{ ds }}" }}'"{% if options %},
  options => map({% for k, v in options | items %}'{{ k }}', '{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %}){% endif %}

);
