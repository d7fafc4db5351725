-- iceberg-maintenance {{ name }}: Iceberg procedures per table, catalog {{ catalog }}.
-- Option names follow icehelper: target-file-size, min-input-files, where, partial-progress,
-- older-than, retain-last, max-concurrent-deletes.
{% for t in tables %}

{% if t.rewrite_data_files %}
-- @ {{ t.table }} rewrite_data_files
CALL {{ catalog }}.system.rewrite_data_files(
  table => '{{ t.table }}'{% if t.where %},
  where => "{{ t.where }}"{% endif %}{% if t.data_options %},
  options => map({% for k, v in t.data_options | items %}'{{ k }}', '{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %}){% endif %}

);
{% endif %}
{% if t.rewrite_position_delete_files %}
-- @ {{ t.table }} rewrite_position_delete_files
CALL {{ catalog }}.system.rewrite_position_delete_files(
  table => '{{ t.table }}'{% if t.delete_options %},
  options => map({% for k, v in t.delete_options | items %}'{{ k }}', '{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %}){% endif %}

);
{% endif %}
{% if t.rewrite_manifests %}
-- @ {{ t.table }} rewrite_manifests
CALL {{ catalog }}.system.rewrite_manifests(table => '{{ t.table }}');
{% endif %}
{% if t.expire_snapshots %}
-- @ {{ t.table }} expire_snapshots
CALL {{ catalog }}.system.expire_snapshots(
  table => '{{ t.table }}',
  older_than => TIMESTAMP '{{ "{{" }} cutoff_{{ t.older_than }} {{ "}}" }}'{% if t.retain_last %},
  retain_last => {{ t.retain_last }}{% endif %}{% if t.max_concurrent_deletes %},
  max_concurrent_deletes => {{ t.max_concurrent_deletes }}{% endif %}

);
{% endif %}
{% if t.remove_orphan_files %}
-- @ {{ t.table }} remove_orphan_files
CALL {{ catalog }}.system.remove_orphan_files(
  table => '{{ t.table }}',
  older_than => TIMESTAMP '{{ "{{" }} cutoff_{{ t.orphan_older_than }} {{ "}}" }}'{% if t.max_concurrent_deletes %},
  max_concurrent_deletes => {{ t.max_concurrent_deletes }}{% endif %}

);
{% endif %}
{% endfor %}
