//! Versions of everything the jobs pull in, in one place.

/// Apache Spark version of the image and of `sparkVersion`.
pub const SPARK_VERSION: &str = "3.5.8";
/// Scala binary version of the Spark build.
pub const SCALA_BINARY_VERSION: &str = "2.12";
/// Apache Iceberg version of the runtime packages.
pub const ICEBERG_VERSION: &str = "1.10.2";
/// Hadoop version of the Spark build (for `hadoop-aws`, used by `s3a://` checkpoints).
pub const HADOOP_VERSION: &str = "3.3.4";
/// PostgreSQL JDBC driver, added for JDBC catalogs on PostgreSQL.
pub const POSTGRESQL_JDBC_VERSION: &str = "42.7.4";
/// Default image: the Apache Spark image with Python 3, running as uid 185.
pub const DEFAULT_IMAGE: &str = "apache/spark:3.5.8-python3";
/// The uid/gid of the `spark` user in the Apache Spark images.
pub const SPARK_UID: i64 = 185;
/// dbt packages installed at run time by the dbt-runner when the image lacks dbt.
pub const DBT_PIP_PACKAGES: &[&str] = &["dbt-core~=1.10.0", "dbt-spark~=1.9.0"];

/// `org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:<iceberg>`.
pub fn iceberg_spark_runtime() -> String {
    let spark_minor = SPARK_VERSION
        .rsplit_once('.')
        .map_or(SPARK_VERSION, |(m, _)| m);
    format!(
        "org.apache.iceberg:iceberg-spark-runtime-{spark_minor}_{SCALA_BINARY_VERSION}:{ICEBERG_VERSION}"
    )
}

/// `org.apache.iceberg:iceberg-aws-bundle:<iceberg>` (S3FileIO and the AWS SDK).
pub fn iceberg_aws_bundle() -> String {
    format!("org.apache.iceberg:iceberg-aws-bundle:{ICEBERG_VERSION}")
}

/// `org.apache.spark:spark-sql-kafka-0-10_2.12:<spark>`.
pub fn spark_sql_kafka() -> String {
    format!("org.apache.spark:spark-sql-kafka-0-10_{SCALA_BINARY_VERSION}:{SPARK_VERSION}")
}

/// `org.apache.hadoop:hadoop-aws:<hadoop>` (the `s3a://` file system).
pub fn hadoop_aws() -> String {
    format!("org.apache.hadoop:hadoop-aws:{HADOOP_VERSION}")
}

/// `org.postgresql:postgresql:<version>`.
pub fn postgresql_jdbc() -> String {
    format!("org.postgresql:postgresql:{POSTGRESQL_JDBC_VERSION}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn coordinates_match_versions() {
        assert_eq!(
            super::iceberg_spark_runtime(),
            "org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.10.2"
        );
        assert_eq!(
            super::spark_sql_kafka(),
            "org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.8"
        );
    }
}
