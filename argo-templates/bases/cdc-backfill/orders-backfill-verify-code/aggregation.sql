-- aggregation-batch orders-backfill-verify: the rows of audit.cdc_backfill_checks for one logical date.
-- Run-time parameters: {{ ds }} (YYYY-MM-DD), {{ ds_nodash }} (YYYYMMDD).
-- The result must contain the partition column `ds` equal to {{ ds }}.
WITH main AS (
  SELECT count(*) AS n FROM raw_inventory.orders
),
         branch AS (
  SELECT count(*) AS n, count(DISTINCT id) AS k
           FROM raw_inventory.orders VERSION AS OF 'backfill'
)
         SELECT
  DATE '{{ ds }}' AS ds,
  'raw_inventory.orders' AS table_name,
           'backfill' AS branch,
  main.n AS main_rows,
  branch.n AS branch_rows,
           assert_true(branch.n = branch.k, 'duplicate keys in branch backfill') IS NULL AS unique_keys,
           assert_true(branch.n >= main.n, 'branch backfill has fewer rows than main') IS NULL AS not_smaller
         FROM main CROSS JOIN branch
