//! The three pipelines: each function builds the pipeline's objects with the template crates'
//! builders and returns the [`Overlay`](crate::Overlay) that deploys them over the released bases.

pub mod cdc_backfill;
pub mod cdc_lakehouse;
pub mod ml_feature_prep;

use anyhow::Result;
use argo_templates::pipelines::Pipeline;
use manifest_bundle::{Bundle, Objects};

/// An Argo pipeline's WorkflowTemplate and the objects its Spark steps need, as one bundle.
pub(crate) fn pipeline_bundle(name: &str, pipeline: &Pipeline) -> Result<Bundle> {
    let mut b = Bundle::new(name);
    pipeline.push_into(&mut b)?;
    Ok(b)
}
