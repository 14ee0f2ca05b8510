//! Phase 6, splice: put each image's new URL into the source text (the
//! splicing itself is r2filter-text's) and account for every reference.

use std::collections::HashSet;

use r2filter_text::rewrite::{Replacement, replacement, size_attributes};

use super::plan::Plan;
use super::{Batch, Hashed, Outcome, Sink, Status, Summary};
use crate::error::Error;

/// Splices the new URLs into each document, handing each output to `sink`
/// (or collecting them), and accounts for every reference.
pub(crate) fn splice(
    batch: &Batch<'_>,
    hashed: &Hashed,
    plan: &Plan,
    mut sink: Option<Sink<'_>>,
) -> Result<Outcome, Error> {
    let docs = batch.docs;
    let mut replacements: Vec<Vec<Replacement>> = vec![Vec::new(); docs.len()];
    let mut records = batch.skipped.clone();
    for r in &batch.refs {
        let planned = hashed
            .image_of(r)
            .and_then(|id| plan.planned[id.0].as_ref())
            .expect("a run that got here planned every image");
        let url = format!("{}{}", planned.url, r.suffix);
        let span = r.reference.span.clone();
        let original = docs[r.doc].text.get(span.clone()).unwrap_or_default();
        replacements[r.doc].push(Replacement {
            text: replacement(r.reference.context, &url, original),
            span: span.clone(),
        });
        // `dimensions = true`: the element's width and height after its `src`.
        let size = hashed.image_of(r).and_then(|id| plan.measured[id.0].size);
        if let (true, Some(size)) = (batch.cfg.dimensions, size)
            && let Some(slot) = batch.sizable[r.doc]
                .iter()
                .find(|s| s.value.start <= span.start && span.end <= s.value.end)
        {
            replacements[r.doc].push(Replacement {
                text: size_attributes(slot.syntax, size.width, size.height),
                span: slot.at..slot.at,
            });
        }
        let mut record = batch.record(r.doc, &r.reference, planned.status);
        record.url = Some(url);
        record.key = Some(planned.key.clone());
        records.push(record);
    }
    records.sort_by(|a, b| (&a.document, a.line, a.column).cmp(&(&b.document, b.line, b.column)));
    let mut outputs = Vec::new();
    for (i, (doc, reps)) in docs.iter().zip(replacements.iter_mut()).enumerate() {
        // An insertion (empty span) after a value sorts after it.
        reps.sort_by_key(|r| (r.span.start, r.span.end));
        let output = r2filter_text::rewrite::splice(&doc.text, reps);
        match sink.as_mut() {
            Some(sink) => sink(i, output)?,
            None => outputs.push(output),
        }
    }
    Ok(Outcome {
        outputs,
        records,
        summary: summary(batch, hashed, plan),
    })
}

/// The totals of a run (its time and dry-run flag are the caller's).
fn summary(batch: &Batch<'_>, hashed: &Hashed, plan: &Plan) -> Summary {
    let mut summary = Summary {
        documents: batch.docs.len(),
        references: batch.refs.len()
            + batch.remote
            + batch.missing
            + batch.adopted.failed
            + batch.adopted.planned,
        remote: batch.remote,
        missing: batch.missing,
        adopted: batch.adopted.references,
        downloaded: batch.adopted.downloaded,
        to_adopt: batch.adopted.planned,
        not_adopted: batch.adopted.failed,
        ..Summary::default()
    };
    let mut counted = HashSet::new();
    for r in &batch.refs {
        let Some(id) = hashed.image_of(r) else {
            continue;
        };
        let status = plan.status(id);
        if status == Some(Status::Manifest) {
            summary.from_manifest += 1;
        }
        if counted.insert(id) {
            match status {
                Some(Status::Uploaded | Status::Planned) => summary.uploaded += 1,
                Some(Status::InBucket) => summary.in_bucket += 1,
                _ => {}
            }
        }
    }
    summary.uploaded_bytes = plan
        .uploads
        .iter()
        .filter(|u| {
            matches!(
                plan.status(u.images[0]),
                Some(Status::Uploaded | Status::Planned)
            )
        })
        .map(|u| u.pending.size)
        .sum();
    summary
}
