//! TOML front matter (Hugo's `+++`) through the `toml` crate's spanned
//! document parser, following the same rules as YAML: configured keys at any
//! depth (`[seo] image`, dotted keys, inline tables, arrays of tables), `url`
//! anywhere below them, arrays of strings.

use std::ops::Range;

use ::toml::Spanned;
use ::toml::de::{DeTable, DeValue};

use super::{Format, FrontMatterError, Kept, Rule, Style, Under};
use crate::scan::{Context, Reference, Scanned};

pub(super) fn scan(
    source: &str,
    body: Range<usize>,
    keys: &[String],
    out: &mut Scanned,
) -> Result<(), FrontMatterError> {
    let table =
        DeTable::parse(source.get(body.clone()).unwrap_or("")).map_err(|e| FrontMatterError {
            format: Format::Toml,
            offset: body.start + e.span().map_or(0, |s| s.start),
            message: e.message().trim_end().to_string(),
        })?;
    // A worklist, not recursion: nesting depth is the document's to choose.
    let mut todo: Vec<(&Spanned<DeValue<'_>>, Under)> = Vec::new();
    push_table(&mut todo, table.get_ref(), Under::Outside, keys);
    while let Some((value, under)) = todo.pop() {
        match value.get_ref() {
            DeValue::String(s) if under == Under::Value => {
                let span = body.start + value.span().start..body.start + value.span().end;
                // (An empty `raw`, from a span off a character boundary, is refused below.)
                let raw = source.get(span.clone()).unwrap_or("");
                let style = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
                    out.kept.push(Kept {
                        span,
                        rule: Rule::MultiLineString,
                    });
                    continue;
                } else if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
                    Style::TomlBasic
                } else if raw.len() >= 2 && raw.starts_with('\'') && raw.ends_with('\'') {
                    Style::TomlLiteral
                } else {
                    return Err(FrontMatterError {
                        format: Format::Toml,
                        offset: span.start,
                        message: format!("cannot find the source text of the value {s:?}"),
                    });
                };
                if !s.is_empty() {
                    // The reference is what lies between the quotes.
                    out.references.push(Reference {
                        span: span.start + 1..span.end - 1,
                        url: s.to_string(),
                        context: Context::FrontMatter(style),
                    });
                }
            }
            DeValue::Array(items) => todo.extend(items.iter().map(|v| (v, under))),
            DeValue::Table(t) => push_table(&mut todo, t, under, keys),
            _ => {}
        }
    }
    Ok(())
}

/// Queues the values of `table`, which sits at `under`.
fn push_table<'a, 'i>(
    todo: &mut Vec<(&'a Spanned<DeValue<'i>>, Under)>,
    table: &'a DeTable<'i>,
    under: Under,
    keys: &[String],
) {
    for (key, value) in table {
        let key: &str = key.get_ref().as_ref();
        todo.push((value, under.child(Some(key), keys)));
    }
}
