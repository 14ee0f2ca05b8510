//! Hugo's JSON front matter (a `{ … }` object at the top of a page), read by
//! jsonc-parser with every allowance beyond JSON switched off (Hugo decodes
//! it with Go's `encoding/json`), following the same rules as YAML and TOML:
//! configured keys at any depth, `url` anywhere below them, arrays of strings.

use std::ops::Range;

use jsonc_parser::ast::{ObjectProp, Value};
use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions, parse_to_ast};

use super::{Format, FrontMatterError, Style, Under};
use crate::scan::{Context, Reference, Scanned};

/// Strict JSON, as `encoding/json` reads it.
fn strict() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

pub(super) fn scan(
    source: &str,
    body: Range<usize>,
    keys: &[String],
    out: &mut Scanned,
) -> Result<(), FrontMatterError> {
    let text = source.get(body.clone()).unwrap_or("");
    let collect = CollectOptions {
        comments: CommentCollectionStrategy::Off,
        tokens: false,
    };
    let error = |offset: usize, message: String| FrontMatterError {
        format: Format::Json,
        offset: body.start + offset,
        message,
    };
    let parsed = parse_to_ast(text, &collect, &strict())
        .map_err(|e| error(e.range().start, e.kind().to_string()))?;
    let Some(Value::Object(top)) = parsed.value else {
        return Err(error(0, "the front matter is not a JSON object".into()));
    };
    // A worklist, not recursion: nesting depth is the document's to choose.
    let mut todo: Vec<(Value<'_>, Under)> = Vec::new();
    push_props(&mut todo, top.properties, Under::Outside, keys);
    while let Some((value, under)) = todo.pop() {
        match value {
            Value::StringLit(s) if under == Under::Value && !s.value.is_empty() => {
                // The reference is what lies between the quotes.
                let span = body.start + s.range.start + 1..body.start + s.range.end - 1;
                if source.get(span.clone()).is_none() {
                    return Err(error(
                        s.range.start,
                        format!("cannot find the source text of the value {:?}", s.value),
                    ));
                }
                out.references.push(Reference {
                    span,
                    url: s.value.into_owned(),
                    context: Context::FrontMatter(Style::JsonString),
                });
            }
            Value::Array(a) => todo.extend(a.elements.into_iter().map(|v| (v, under))),
            Value::Object(o) => push_props(&mut todo, o.properties, under, keys),
            _ => {}
        }
    }
    Ok(())
}

/// Queues the values of an object that sits at `under`.
fn push_props<'a>(
    todo: &mut Vec<(Value<'a>, Under)>,
    props: Vec<ObjectProp<'a>>,
    under: Under,
    keys: &[String],
) {
    for prop in props {
        let key = prop.name.as_str().to_string();
        todo.push((prop.value, under.child(Some(&key), keys)));
    }
}
