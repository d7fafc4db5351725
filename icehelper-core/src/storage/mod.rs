//! Object storage for Iceberg tables, on [`object_store`].
//!
//! [`ObjectStorageFactory`] plugs into any iceberg catalog with
//! `CatalogBuilder::with_storage_factory`; the [`Storage`] it builds serves
//! every path a table names, whatever its scheme:
//!
//! | scheme | backend |
//! |---|---|
//! | `file:`, `file://`, a bare absolute path | local file system |
//! | `s3://`, `s3a://`, `s3n://` | S3 and compatible servers (MinIO, Ceph RGW, Garage); feature `s3` |
//! | `gs://` | Google Cloud Storage; feature `gcs` |
//! | `abfs://`, `abfss://`, `az://` | Azure; feature `azure` |
//!
//! S3 settings use PyIceberg's property names: `s3.endpoint`, `s3.access-key-id`,
//! `s3.secret-access-key`, `s3.session-token`, `s3.region`, `s3.path-style-access`.
//! Without keys, the AWS environment chain (`AWS_ACCESS_KEY_ID`, ...) applies.
//!
//! Besides what Iceberg needs, [`ObjectStorage::list`] lists a prefix with sizes and
//! modification times (orphan-file removal needs it).

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use iceberg::io::{
    FileMetadata, FileRead, FileWrite, InputFile, OutputFile, Storage, StorageConfig,
    StorageFactory,
};
use object_store::buffered::BufWriter;
use object_store::path::Path as StorePath;

mod location;
pub(crate) use location::{resolve, Resolved};
use object_store::{ObjectStore, ObjectStoreExt};
use serde::{Deserialize, Serialize};

/// Builds [`ObjectStorage`] for iceberg's `FileIO` from the catalog's and table's properties.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ObjectStorageFactory;

#[typetag::serde]
impl StorageFactory for ObjectStorageFactory {
    fn build(&self, config: &StorageConfig) -> iceberg::Result<Arc<dyn Storage>> {
        Ok(Arc::new(ObjectStorage::new(config.props().clone())))
    }
}

/// One object-storage handle serving every scheme, with a store per bucket kept open.
#[derive(Clone, Serialize, Deserialize)]
#[serde(from = "StorageProps", into = "StorageProps")]
pub struct ObjectStorage {
    inner: Arc<Inner>,
}

struct Inner {
    props: HashMap<String, String>,
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

#[derive(Serialize, Deserialize)]
struct StorageProps {
    props: HashMap<String, String>,
}

impl From<StorageProps> for ObjectStorage {
    fn from(p: StorageProps) -> Self {
        ObjectStorage::new(p.props)
    }
}

impl From<ObjectStorage> for StorageProps {
    fn from(s: ObjectStorage) -> Self {
        StorageProps {
            props: s.inner.props.clone(),
        }
    }
}

impl fmt::Debug for ObjectStorage {
    // Properties carry credentials: never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStorage").finish_non_exhaustive()
    }
}

/// One listed object: its full URI (in the scheme of the listed prefix), size and modification time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedFile {
    /// Full location, e.g. `s3://bucket/warehouse/db/t/data/x.parquet`.
    pub location: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time.
    pub last_modified: DateTime<Utc>,
}

fn ice_err(kind: iceberg::ErrorKind, msg: impl Into<String>) -> iceberg::Error {
    iceberg::Error::new(kind, msg.into())
}

fn store_err(location: &str, e: object_store::Error) -> iceberg::Error {
    let kind = match e {
        object_store::Error::NotFound { .. } => iceberg::ErrorKind::DataInvalid,
        _ => iceberg::ErrorKind::Unexpected,
    };
    ice_err(kind, format!("storage error on '{location}': {e}"))
}

impl ObjectStorage {
    /// A storage handle configured by PyIceberg-style properties (`s3.endpoint`, ...).
    pub fn new(props: HashMap<String, String>) -> Self {
        ObjectStorage {
            inner: Arc::new(Inner {
                props,
                stores: Mutex::new(HashMap::new()),
            }),
        }
    }

    #[cfg(any(feature = "s3", feature = "gcs", feature = "azure"))]
    fn prop(&self, key: &str) -> Option<&str> {
        self.inner.props.get(key).map(String::as_str)
    }

    fn store_for(&self, location: &str) -> iceberg::Result<(Arc<dyn ObjectStore>, Resolved)> {
        let resolved =
            resolve(location).map_err(|m| ice_err(iceberg::ErrorKind::DataInvalid, m))?;
        let key = resolved.store_key();
        let mut stores = self.inner.stores.lock().expect("store cache poisoned");
        if let Some(store) = stores.get(&key) {
            return Ok((store.clone(), resolved));
        }
        let store = self.build_store(&resolved)?;
        stores.insert(key, store.clone());
        Ok((store, resolved))
    }

    /// The store holding `location` and the object's path in it, byte for byte.
    fn object(&self, location: &str) -> iceberg::Result<(Arc<dyn ObjectStore>, StorePath)> {
        let (store, r) = self.store_for(location)?;
        let path = r
            .store_path()
            .map_err(|m| ice_err(iceberg::ErrorKind::DataInvalid, m))?;
        Ok((store, path))
    }

    fn build_store(&self, r: &Resolved) -> iceberg::Result<Arc<dyn ObjectStore>> {
        match r.kind {
            "file" => Ok(Arc::new(object_store::local::LocalFileSystem::new())),
            #[cfg(feature = "s3")]
            "s3" => self.build_s3(&r.bucket),
            #[cfg(feature = "gcs")]
            "gs" => {
                let mut b = object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_bucket_name(&r.bucket);
                if let Some(v) = self.prop("gcs.service-account-path") {
                    b = b.with_service_account_path(v);
                }
                b.build()
                    .map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
                    .map_err(|e| ice_err(iceberg::ErrorKind::DataInvalid, format!("GCS: {e}")))
            }
            #[cfg(feature = "azure")]
            "az" => {
                let mut b = object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_container_name(r.bucket.split('@').next().unwrap_or(&r.bucket));
                if let Some(v) = self.prop("adls.account-name") {
                    b = b.with_account(v);
                }
                if let Some(v) = self.prop("adls.account-key") {
                    b = b.with_access_key(v);
                }
                b.build()
                    .map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
                    .map_err(|e| ice_err(iceberg::ErrorKind::DataInvalid, format!("Azure: {e}")))
            }
            other => Err(ice_err(
                iceberg::ErrorKind::FeatureUnsupported,
                format!("storage scheme '{other}' needs icehelper-core's '{other}' feature"),
            )),
        }
    }

    #[cfg(feature = "s3")]
    fn build_s3(&self, bucket: &str) -> iceberg::Result<Arc<dyn ObjectStore>> {
        use object_store::aws::AmazonS3Builder;
        let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(v) = self.prop("s3.endpoint") {
            b = b.with_endpoint(v);
            if v.starts_with("http://") {
                b = b.with_allow_http(true);
            }
        }
        if let Some(v) = self.prop("s3.access-key-id") {
            b = b.with_access_key_id(v);
        }
        if let Some(v) = self.prop("s3.secret-access-key") {
            b = b.with_secret_access_key(v);
        }
        if let Some(v) = self.prop("s3.session-token") {
            b = b.with_token(v);
        }
        match self.prop("s3.region").or(self.prop("client.region")) {
            Some(v) => b = b.with_region(v),
            None if std::env::var_os("AWS_REGION").is_none()
                && std::env::var_os("AWS_DEFAULT_REGION").is_none() =>
            {
                b = b.with_region("us-east-1")
            }
            None => {}
        }
        if let Some(v) = self.prop("s3.path-style-access") {
            let path_style = parse_bool(v).ok_or_else(|| {
                ice_err(
                    iceberg::ErrorKind::DataInvalid,
                    format!("property s3.path-style-access must be true or false, got '{v}'"),
                )
            })?;
            b = b.with_virtual_hosted_style_request(!path_style);
        }
        b.build()
            .map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
            .map_err(|e| {
                ice_err(
                    iceberg::ErrorKind::DataInvalid,
                    format!("S3 configuration: {e}"),
                )
            })
    }

    /// Lists every object under `prefix` (recursively), with full URIs in the prefix's own scheme.
    pub async fn list(&self, prefix: &str) -> iceberg::Result<Vec<ListedFile>> {
        let (store, r) = self.store_for(prefix)?;
        let dir = r.path.trim_end_matches('/');
        let store_prefix = if dir.is_empty() {
            None
        } else {
            Some(
                r.store_path()
                    .map_err(|m| ice_err(iceberg::ErrorKind::DataInvalid, m))?,
            )
        };
        if let Some(dir) = r.local_path() {
            // walked here rather than by object_store, which hides the staging files (`x#1`) a
            // killed upload leaves behind: orphan removal must see them
            let listed = tokio::task::spawn_blocking(move || walk_local(&dir))
                .await
                .map_err(|e| ice_err(iceberg::ErrorKind::Unexpected, e.to_string()))?
                .map_err(|e| io_err(prefix, e))?;
            return Ok(listed);
        }
        let metas: Vec<_> = store
            .list(store_prefix.as_ref())
            .map_err(|e| store_err(prefix, e))
            .try_collect()
            .await?;
        Ok(metas
            .into_iter()
            .map(|m| ListedFile {
                location: r.location_of(&m.location),
                size: m.size,
                last_modified: m.last_modified,
            })
            .collect())
    }
}

fn io_err(location: &str, e: std::io::Error) -> iceberg::Error {
    ice_err(
        iceberg::ErrorKind::Unexpected,
        format!("storage error on '{location}': {e}"),
    )
}

/// The local file of `location`, when it is one.
fn local_file(location: &str) -> iceberg::Result<Option<std::path::PathBuf>> {
    let r = resolve(location).map_err(|m| ice_err(iceberg::ErrorKind::DataInvalid, m))?;
    // the same validation as every other access (no `..`, no control characters)
    r.store_path()
        .map_err(|m| ice_err(iceberg::ErrorKind::DataInvalid, m))?;
    Ok(r.local_path())
}

/// Every regular file under `dir` (none when it does not exist, like an S3 prefix), as
/// `file:///` locations. Names that are not UTF-8 cannot be Iceberg locations and are skipped.
fn walk_local(dir: &std::path::Path) -> std::io::Result<Vec<ListedFile>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && d == dir => return Ok(out),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory && d == dir => return Ok(out),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            let path = entry.path();
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let Some(text) = path.to_str() else { continue };
                out.push(ListedFile {
                    location: format!("file://{text}"),
                    size: meta.len(),
                    last_modified: meta.modified().map(DateTime::<Utc>::from)?,
                });
            }
        }
    }
    out.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(out)
}

pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

#[async_trait]
#[typetag::serde]
impl Storage for ObjectStorage {
    async fn exists(&self, path: &str) -> iceberg::Result<bool> {
        if let Some(file) = local_file(path)? {
            // object_store refuses names it uses for staging (`x#1`): ask the file system
            return tokio::fs::try_exists(&file)
                .await
                .map_err(|e| io_err(path, e));
        }
        let (store, p) = self.object(path)?;
        match store.head(&p).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(store_err(path, e)),
        }
    }

    async fn metadata(&self, path: &str) -> iceberg::Result<FileMetadata> {
        let (store, p) = self.object(path)?;
        let meta = store.head(&p).await.map_err(|e| store_err(path, e))?;
        Ok(FileMetadata { size: meta.size })
    }

    async fn read(&self, path: &str) -> iceberg::Result<Bytes> {
        let (store, p) = self.object(path)?;
        let got = store.get(&p).await.map_err(|e| store_err(path, e))?;
        got.bytes().await.map_err(|e| store_err(path, e))
    }

    async fn reader(&self, path: &str) -> iceberg::Result<Box<dyn FileRead>> {
        let (store, p) = self.object(path)?;
        Ok(Box::new(ObjectRead {
            store,
            path: p,
            location: path.to_string(),
        }))
    }

    async fn write(&self, path: &str, bs: Bytes) -> iceberg::Result<()> {
        let (store, p) = self.object(path)?;
        store
            .put(&p, bs.into())
            .await
            .map_err(|e| store_err(path, e))?;
        Ok(())
    }

    async fn writer(&self, path: &str) -> iceberg::Result<Box<dyn FileWrite>> {
        let (store, p) = self.object(path)?;
        Ok(Box::new(ObjectWrite {
            writer: Some(BufWriter::with_capacity(store, p, 8 * 1024 * 1024)),
            location: path.to_string(),
        }))
    }

    async fn delete(&self, path: &str) -> iceberg::Result<()> {
        if let Some(file) = local_file(path)? {
            return match tokio::fs::remove_file(&file).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err(path, e)),
                _ => Ok(()),
            };
        }
        let (store, p) = self.object(path)?;
        match store.delete(&p).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_err(path, e)),
        }
    }

    async fn delete_prefix(&self, path: &str) -> iceberg::Result<()> {
        let files = self.list(path).await?;
        let paths = futures::stream::iter(files.into_iter().map(|f| f.location)).boxed();
        self.delete_stream(paths).await
    }

    async fn delete_stream(&self, paths: BoxStream<'static, String>) -> iceberg::Result<()> {
        let this = self.clone();
        paths
            .map(|p| {
                let this = this.clone();
                async move { this.delete(&p).await }
            })
            .buffer_unordered(16)
            .try_collect::<Vec<_>>()
            .await?;
        Ok(())
    }

    fn new_input(&self, path: &str) -> iceberg::Result<InputFile> {
        Ok(InputFile::new(Arc::new(self.clone()), path.to_string()))
    }

    fn new_output(&self, path: &str) -> iceberg::Result<OutputFile> {
        Ok(OutputFile::new(Arc::new(self.clone()), path.to_string()))
    }
}

struct ObjectRead {
    store: Arc<dyn ObjectStore>,
    path: StorePath,
    location: String,
}

#[async_trait]
impl FileRead for ObjectRead {
    async fn read(&self, range: Range<u64>) -> iceberg::Result<Bytes> {
        self.store
            .get_range(&self.path, range)
            .await
            .map_err(|e| store_err(&self.location, e))
    }
}

struct ObjectWrite {
    writer: Option<BufWriter>,
    location: String,
}

#[async_trait]
impl FileWrite for ObjectWrite {
    async fn write(&mut self, bs: Bytes) -> iceberg::Result<()> {
        let w = self.writer.as_mut().ok_or_else(|| {
            ice_err(
                iceberg::ErrorKind::Unexpected,
                format!("write to closed file '{}'", self.location),
            )
        })?;
        w.put(bs).await.map_err(|e| store_err(&self.location, e))
    }

    async fn close(&mut self) -> iceberg::Result<()> {
        use tokio::io::AsyncWriteExt;
        let mut w = self.writer.take().ok_or_else(|| {
            ice_err(
                iceberg::ErrorKind::Unexpected,
                format!("file '{}' closed twice", self.location),
            )
        })?;
        w.shutdown().await.map_err(|e| {
            ice_err(
                iceberg::ErrorKind::Unexpected,
                format!("storage error on '{}': {e}", self.location),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_roundtrip_and_listing() {
        let dir = tempfile::tempdir().unwrap();
        let base = format!("file://{}", dir.path().display());
        let storage = ObjectStorage::new(HashMap::new());
        let loc = format!("{base}/a/b/file.bin");
        let mut w = storage.writer(&loc).await.unwrap();
        w.write(Bytes::from_static(b"hello ")).await.unwrap();
        w.write(Bytes::from_static(b"world")).await.unwrap();
        w.close().await.unwrap();
        assert!(storage.exists(&loc).await.unwrap());
        assert_eq!(storage.metadata(&loc).await.unwrap().size, 11);
        let r = storage.reader(&loc).await.unwrap();
        assert_eq!(&r.read(6..11).await.unwrap()[..], b"world");
        let listed = storage.list(&format!("{base}/a")).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            listed[0].location,
            format!("file://{}/a/b/file.bin", dir.path().display())
        );
        assert!(storage
            .list(&format!("{base}/missing"))
            .await
            .unwrap()
            .is_empty());
        storage.delete_prefix(&format!("{base}/a")).await.unwrap();
        assert!(!storage.exists(&loc).await.unwrap());
    }
}
