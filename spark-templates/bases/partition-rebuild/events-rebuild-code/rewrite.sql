-- partition-rebuild events-rebuild: rewrite the files of one day of analytics.events.
CALL lake.system.rewrite_data_files(
  table => 'analytics.events',
  where => "ds = '{{ ds }}'",
  options => map('rewrite-all', 'true', 'target-file-size-bytes', '536870912')
);
