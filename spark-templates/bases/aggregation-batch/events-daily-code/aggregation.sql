-- aggregation-batch events-daily: the rows of analytics.events_daily for one logical date.
-- Run-time parameters: {{ ds }} (YYYY-MM-DD), {{ ds_nodash }} (YYYYMMDD).
-- The result must contain the partition column `ds` equal to {{ ds }}.
SELECT
  DATE '{{ ds }}' AS ds,
  event_type,
  count(*) AS events,
  count(DISTINCT user_id) AS users
FROM analytics.events
WHERE event_time >= TIMESTAMP '{{ ds }} 00:00:00'
  AND event_time < TIMESTAMP '{{ ds }} 00:00:00' + INTERVAL 1 DAY
GROUP BY event_type
