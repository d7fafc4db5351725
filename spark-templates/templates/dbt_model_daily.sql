-- One row per day and event type, from {{ source_table }}.
select
  cast(event_time as date) as ds,
  event_type,
  count(*) as events
from {{ source_table }}
group by 1, 2
