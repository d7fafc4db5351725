-- cdc-to-iceberg {{ name }}: the {% if replay and not branch %}staging{% else %}target{% endif %} table, created on first start.
CREATE NAMESPACE IF NOT EXISTS {{ namespace }};
CREATE TABLE IF NOT EXISTS {{ table }} (
{% for c in columns %}
  `{{ c.name }}` {{ c.type }}{% if c.name in keys %} NOT NULL{% endif %},
{% endfor %}
  _cdc_order BIGINT,
  _cdc_ts_ms BIGINT
) USING iceberg
{% if partition_by %}
PARTITIONED BY ({{ partition_by }})
{% endif %}
TBLPROPERTIES (
  'format-version' = '2',
  'write.delete.mode' = 'merge-on-read',
  'write.update.mode' = 'merge-on-read',
  'write.merge.mode' = 'merge-on-read'
);
{% if branch %}
-- the bounded replay writes into a branch (job.json replay.branch, or --replay-branch at run time),
-- created from main when missing
ALTER TABLE {{ table }} CREATE BRANCH IF NOT EXISTS `{{ "{{ replay_branch }}" }}`;
{% endif %}
