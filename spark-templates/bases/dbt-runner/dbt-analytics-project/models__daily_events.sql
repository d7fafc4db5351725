-- One row per day and event type, from analytics.events.
select
  cast(event_time as date) as ds,
  event_type,
  count(*) as events
from analytics.events
group by 1, 2
