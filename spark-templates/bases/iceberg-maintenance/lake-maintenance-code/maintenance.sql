-- iceberg-maintenance lake-maintenance: Iceberg procedures per table, catalog lake.
-- Option names follow icehelper: target-file-size, min-input-files, where, partial-progress,
-- older-than, retain-last, max-concurrent-deletes.

-- @ analytics.events rewrite_data_files
CALL lake.system.rewrite_data_files(
  table => 'analytics.events',
  options => map('min-input-files', '5', 'partial-progress.enabled', 'true', 'remove-dangling-deletes', 'true', 'target-file-size-bytes', '536870912')
);
-- @ analytics.events rewrite_position_delete_files
CALL lake.system.rewrite_position_delete_files(
  table => 'analytics.events',
  options => map('min-input-files', '5', 'rewrite-all', 'true', 'target-file-size-bytes', '536870912')
);
-- @ analytics.events rewrite_manifests
CALL lake.system.rewrite_manifests(table => 'analytics.events');
-- @ analytics.events expire_snapshots
CALL lake.system.expire_snapshots(
  table => 'analytics.events',
  older_than => TIMESTAMP '{{ cutoff_7d }}',
  retain_last => 10,
  max_concurrent_deletes => 4
);
-- @ analytics.events remove_orphan_files
CALL lake.system.remove_orphan_files(
  table => 'analytics.events',
  older_than => TIMESTAMP '{{ cutoff_3d }}',
  max_concurrent_deletes => 4
);

-- @ sales.orders rewrite_data_files
CALL lake.system.rewrite_data_files(
  table => 'sales.orders',
  options => map('remove-dangling-deletes', 'true')
);
-- @ sales.orders rewrite_position_delete_files
CALL lake.system.rewrite_position_delete_files(
  table => 'sales.orders',
  options => map('rewrite-all', 'true')
);
-- @ sales.orders rewrite_manifests
CALL lake.system.rewrite_manifests(table => 'sales.orders');
-- @ sales.orders expire_snapshots
CALL lake.system.expire_snapshots(
  table => 'sales.orders',
  older_than => TIMESTAMP '{{ cutoff_3d }}',
  retain_last => 1
);
-- @ sales.orders remove_orphan_files
CALL lake.system.remove_orphan_files(
  table => 'sales.orders',
  older_than => TIMESTAMP '{{ cutoff_3d }}'
);
