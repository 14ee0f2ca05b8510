//! What a run tells people and programs afterwards: the `--report` JSON file
//! and the `--dry-run` plan table. Both are built from the pipeline's
//! [`Outcome`] (or its [`Error`]), so every front end can offer them.

use std::path::Path;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::error::Error;
use crate::pipeline::{Outcome, Record, Status, Summary};
use crate::site::Profile;

/// Bumped when a field changes meaning or goes away (new fields may appear).
pub const REPORT_VERSION: u32 = 1;

/// The `--report` file: one record per reference, the totals, and on failure
/// the errors (with no records: a failed run publishes nothing).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    /// Whether the run succeeded (exit 0).
    pub ok: bool,
    pub dry_run: bool,
    pub offline: bool,
    pub references: Vec<Record>,
    /// `null` when the run failed.
    pub totals: Option<Summary>,
    pub errors: Vec<ReportError>,
    /// The kind of site and the syntax its documents were read with
    /// (`null` when the configuration could not be read).
    pub site: Option<Profile>,
}

/// One error; a reference's has its place.
#[derive(Debug, Clone, Serialize)]
pub struct ReportError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    pub message: String,
    pub hint: String,
}

impl Report {
    /// The report of a run that got this far; `result` is what the pipeline (or
    /// the front end around it) returned.
    pub fn new(
        result: Result<&Outcome, &Error>,
        site: Option<&Profile>,
        dry_run: bool,
        offline: bool,
    ) -> Report {
        let (references, totals, errors) = match result {
            Ok(o) => (o.records.clone(), Some(o.summary.clone()), Vec::new()),
            Err(e) => (Vec::new(), None, errors_of(e)),
        };
        Report {
            version: REPORT_VERSION,
            ok: errors.is_empty(),
            dry_run,
            offline,
            references,
            totals,
            errors,
            site: site.cloned(),
        }
    }

    /// Writes the report as pretty JSON, atomically: a reader sees the old file
    /// or the new one, never half of one.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let json = serde_json::to_string_pretty(self).expect("a report always serializes");
        crate::atomic::write_atomic(path, format!("{json}\n").as_bytes(), true).map_err(|source| {
            Error::Output {
                path: path.to_path_buf(),
                source,
            }
        })
    }
}

fn errors_of(e: &Error) -> Vec<ReportError> {
    match e {
        Error::Documents(problems) => problems
            .iter()
            .map(|p| ReportError {
                document: Some(p.at.doc.clone()),
                line: Some(p.at.line),
                column: Some(p.at.col),
                message: p.problem.to_string(),
                hint: p.problem.hint(),
            })
            .collect(),
        other => vec![ReportError {
            document: None,
            line: None,
            column: None,
            message: other.to_string(),
            hint: other.hint(),
        }],
    }
}

/// What a plan line says will happen to a reference.
pub fn action(status: Status) -> &'static str {
    match status {
        Status::Planned => "upload",
        Status::Uploaded => "uploaded",
        Status::Manifest => "in manifest",
        Status::InBucket => "in bucket",
        Status::Remote => "remote",
        Status::Missing => "missing",
        Status::ToAdopt => "adopt",
        Status::NotAdopted => "not adopted",
    }
}

/// The `--dry-run` plan: one aligned line per reference, under a header.
///
/// ```text
/// LOCATION     ACTION       IMAGE        KEY                  URL
/// post.md:3:7  upload       img/cat.png  2026/11/0f3c….png    https://assets.example.com/2026/11/0f3c….png
/// post.md:9:1  remote       https://x/y  -                    -
/// ```
pub fn plan(records: &[Record]) -> String {
    let rows: Vec<[String; 5]> = records
        .iter()
        .map(|r| {
            [
                format!("{}:{}:{}", r.document, r.line, r.column),
                action(r.status).to_string(),
                r.original.clone(),
                r.key.clone().unwrap_or_else(|| "-".into()),
                r.url.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let header = ["LOCATION", "ACTION", "IMAGE", "KEY", "URL"].map(String::from);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                // Pad by display width, so Chinese file names keep columns straight.
                line.push_str(&" ".repeat(widths[i] - cell.width() + 2));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(doc: &str, line: usize, original: &str, status: Status, key: Option<&str>) -> Record {
        Record {
            document: doc.into(),
            line,
            column: 1,
            original: original.into(),
            url: key.map(|k| format!("https://a.example/{k}")),
            key: key.map(String::from),
            status,
            reason: None,
        }
    }

    #[test]
    fn plan_columns_line_up_by_display_width() {
        let plan = plan(&[
            rec("p.md", 1, "截图.png", Status::Planned, Some("k/1.png")),
            rec("p.md", 12, "a.png", Status::Manifest, Some("k/22.png")),
            rec("p.md", 13, "https://x.org/y.png", Status::Remote, None),
        ]);
        assert_eq!(
            plan,
            "\
LOCATION   ACTION       IMAGE                KEY       URL
p.md:1:1   upload       截图.png             k/1.png   https://a.example/k/1.png
p.md:12:1  in manifest  a.png                k/22.png  https://a.example/k/22.png
p.md:13:1  remote       https://x.org/y.png  -         -
"
        );
    }

    #[test]
    fn a_failed_run_reports_each_error_with_its_place() {
        use crate::error::{Location, Problem, ReferenceError};
        let e = Error::Documents(vec![ReferenceError {
            at: Location::new("p.md", "x ![a](b.png)\n", 7..12),
            problem: Problem::NotInManifest {
                path: "b.png".into(),
            },
        }]);
        let json = serde_json::to_value(Report::new(Err(&e), None, false, true)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "version": 1, "ok": false, "dry_run": false, "offline": true,
                "references": [], "totals": null,
                "errors": [{
                    "document": "p.md", "line": 1, "column": 8,
                    "message": "b.png is not in the manifest (--offline)",
                    "hint": "run once without --offline (with credentials) to upload it"
                }],
                "site": null
            })
        );
    }
}
