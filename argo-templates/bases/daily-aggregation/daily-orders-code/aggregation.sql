-- aggregation-batch daily-orders: the rows of marts.daily_orders for one logical date.
-- Run-time parameters: {{ ds }} (YYYY-MM-DD), {{ ds_nodash }} (YYYYMMDD).
-- The result must contain the partition column `ds` equal to {{ ds }}.
SELECT
  DATE '{{ ds }}' AS ds,
  status,
  count(*) AS orders,
  count(DISTINCT customer_id) AS customers,
  sum(amount) AS amount
FROM raw_inventory.orders
WHERE updated_at >= TIMESTAMP '{{ ds }} 00:00:00'
  AND updated_at < TIMESTAMP '{{ ds }} 00:00:00' + INTERVAL 1 DAY
GROUP BY status
