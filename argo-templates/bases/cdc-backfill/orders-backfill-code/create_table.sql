-- cdc-to-iceberg orders-backfill: the target table, created on first start.
CREATE NAMESPACE IF NOT EXISTS raw_inventory;
CREATE TABLE IF NOT EXISTS raw_inventory.orders (
  `id` BIGINT NOT NULL,
  `customer_id` BIGINT,
  `status` STRING,
  `amount` DECIMAL(12,2),
  `updated_at` TIMESTAMP,
  _cdc_order BIGINT,
  _cdc_ts_ms BIGINT
) USING iceberg
TBLPROPERTIES (
  'format-version' = '2',
  'write.delete.mode' = 'merge-on-read',
  'write.update.mode' = 'merge-on-read',
  'write.merge.mode' = 'merge-on-read'
);
-- the bounded replay writes into a branch (job.json replay.branch, or --replay-branch at run time),
-- created from main when missing
ALTER TABLE raw_inventory.orders CREATE BRANCH IF NOT EXISTS `{{ replay_branch }}`;
