-- cdc-to-iceberg orders-backfill: apply one micro-batch (view cdc_changes, one row per key) to raw_inventory.orders.`branch_{{ replay_branch }}`.
MERGE INTO raw_inventory.orders.`branch_{{ replay_branch }}` AS t
USING cdc_changes AS s
ON t.`id` = s.`id`
WHEN MATCHED AND s._cdc_op = 'd'
  AND (s._cdc_order > t._cdc_order OR (s._cdc_order = t._cdc_order AND s._cdc_ts_ms >= t._cdc_ts_ms))
  THEN DELETE
WHEN MATCHED AND s._cdc_op <> 'd'
  AND (s._cdc_order > t._cdc_order OR (s._cdc_order = t._cdc_order AND s._cdc_ts_ms >= t._cdc_ts_ms))
  THEN UPDATE SET
    t.`id` = s.`id`,
    t.`customer_id` = s.`customer_id`,
    t.`status` = s.`status`,
    t.`amount` = s.`amount`,
    t.`updated_at` = s.`updated_at`,
    t._cdc_order = s._cdc_order,
    t._cdc_ts_ms = s._cdc_ts_ms
WHEN NOT MATCHED AND s._cdc_op <> 'd'
  THEN INSERT (`id`, `customer_id`, `status`, `amount`, `updated_at`, _cdc_order, _cdc_ts_ms)
  VALUES (s.`id`, s.`customer_id`, s.`status`, s.`amount`, s.`updated_at`, s._cdc_order, s._cdc_ts_ms)
