-- cdc-to-iceberg {{ name }}: apply one micro-batch (view cdc_changes, one row per key) to {{ target }}.
MERGE INTO {{ target }} AS t
USING cdc_changes AS s
ON {% for k in keys %}t.`{{ k }}` = s.`{{ k }}`{% if not loop.last %} AND {% endif %}{% endfor %}

WHEN MATCHED AND s._cdc_op = 'd'
  AND (s._cdc_order > t._cdc_order OR (s._cdc_order = t._cdc_order AND s._cdc_ts_ms >= t._cdc_ts_ms))
  THEN DELETE
WHEN MATCHED AND s._cdc_op <> 'd'
  AND (s._cdc_order > t._cdc_order OR (s._cdc_order = t._cdc_order AND s._cdc_ts_ms >= t._cdc_ts_ms))
  THEN UPDATE SET
{% for c in columns %}
    t.`{{ c.name }}` = s.`{{ c.name }}`,
{% endfor %}
    t._cdc_order = s._cdc_order,
    t._cdc_ts_ms = s._cdc_ts_ms
WHEN NOT MATCHED AND s._cdc_op <> 'd'
  THEN INSERT ({% for c in columns %}`{{ c.name }}`, {% endfor %}_cdc_order, _cdc_ts_ms)
  VALUES ({% for c in columns %}s.`{{ c.name }}`, {% endfor %}s._cdc_order, s._cdc_ts_ms)
