-- aggregation-batch customer-features: the rows of features.customer_features for one logical date.
-- Run-time parameters: {{ ds }} (YYYY-MM-DD), {{ ds_nodash }} (YYYYMMDD).
-- The result must contain the partition column `as_of_date` equal to {{ ds }}.
WITH events AS (
  SELECT customer_id, amount, updated_at AS event_ts
  FROM raw_inventory.orders TIMESTAMP AS OF '{{ ds }} 00:00:00'
  WHERE updated_at < TIMESTAMP '{{ ds }} 00:00:00'
),
entities AS (
  SELECT id AS customer_id
  FROM raw_inventory.customers TIMESTAMP AS OF '{{ ds }} 00:00:00'
)
SELECT
  DATE '{{ ds }}' AS as_of_date,
  n.customer_id,
  count(e.event_ts) AS orders_total,
  count(CASE WHEN e.event_ts >= TIMESTAMP '{{ ds }} 00:00:00' - INTERVAL 30 DAYS THEN 1 END) AS orders_30d,
  coalesce(sum(CASE WHEN e.event_ts >= TIMESTAMP '{{ ds }} 00:00:00' - INTERVAL 30 DAYS THEN e.amount END), 0) AS amount_30d,
  max(e.event_ts) AS last_order_ts
FROM entities AS n
LEFT JOIN events AS e ON e.customer_id = n.customer_id
GROUP BY n.customer_id
