//! The shape of `src/`: which modules import which (to find cycles), and how
//! long each function is. Read from the source text (no parser needed):
//! comments, strings and `#[cfg(test)]` modules are blanked first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each `.rs` file of the library under `src/` (not `main.rs`, not `bin/`:
/// those are other crates) with its module path (`scan::markdown`; `""` for
/// lib.rs).
pub fn library_files(src: &Path) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut out: Vec<(String, PathBuf)> = files
        .into_iter()
        .filter_map(|p| {
            let rel = p
                .strip_prefix(src)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "main.rs" || rel.starts_with("bin/") {
                return None;
            }
            let module = rel
                .trim_end_matches(".rs")
                .trim_end_matches("/mod")
                .trim_end_matches("lib")
                .replace('/', "::");
            Some((module, p))
        })
        .collect();
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `text` with comments, string and char literals replaced by spaces
/// (newlines kept, so line numbers hold).
pub fn blank(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let wipe = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    while i < b.len() {
        let ident_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if b[i..].starts_with(b"//") {
            let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
            wipe(&mut out, i, end);
            i = end;
        } else if b[i..].starts_with(b"/*") {
            let end = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            wipe(&mut out, i, end);
            i = end;
        } else if !ident_before && (b[i] == b'r' || b[i..].starts_with(b"br")) && {
            let s = if b[i] == b'r' { i + 1 } else { i + 2 };
            let h = b[s..].iter().take_while(|&&c| c == b'#').count();
            b.get(s + h) == Some(&b'"')
        } {
            let s = if b[i] == b'r' { i + 1 } else { i + 2 };
            let h = b[s..].iter().take_while(|&&c| c == b'#').count();
            let close = format!("\"{}", "#".repeat(h));
            let end = text[s + h + 1..]
                .find(&close)
                .map_or(b.len(), |n| s + h + 1 + n + close.len());
            wipe(&mut out, i, end);
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            wipe(&mut out, i, j + 1);
            i = j + 1;
        } else if b[i] == b'\'' {
            // A char literal ('a', '\n', '\u{..}'), not a lifetime ('a).
            let rest = &text[i + 1..];
            let len = if rest.starts_with('\\') {
                rest.find('\'').map(|n| n + 2)
            } else {
                rest.chars()
                    .next()
                    .filter(|c| rest[c.len_utf8()..].starts_with('\''))
                    .map(|c| c.len_utf8() + 2)
            };
            match len {
                Some(n) => {
                    wipe(&mut out, i, i + n);
                    i += n;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The byte just past the `}` matching the `{` at `open`.
fn block_end(text: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + i + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// `text` (blanked) without its `#[cfg(test)]` items.
fn without_tests(text: &str) -> String {
    let mut out = text.to_string();
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]").map(|n| from + n) {
        let next_semi = out[at..].find(';').map(|n| at + n);
        let end = match out[at..].find('{').map(|n| at + n) {
            Some(open) if next_semi.is_none_or(|s| open < s) => block_end(&out, open),
            _ => next_semi.map_or(out.len(), |s| s + 1),
        };
        let blanked: String = out[at..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(at..end, &blanked);
        from = end;
    }
    out
}

fn ident_at(text: &str, at: usize) -> Option<&str> {
    let len = text[at..]
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len() - at);
    (len > 0).then(|| &text[at..at + len])
}

/// The module paths `code` names, relative to `module`: `crate::a::b`,
/// `crate::{a, b}`, `super::x`, `self::x`, and `child::x` for the modules
/// it declares.
fn named_paths(module: &str, code: &str) -> BTreeSet<String> {
    let here: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    let children: BTreeSet<&str> = code
        .match_indices("mod ")
        .filter_map(|(i, _)| {
            let name = ident_at(code, i + 4)?;
            code[i + 4 + name.len()..]
                .trim_start()
                .starts_with(';')
                .then_some(name)
        })
        .collect();
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        let Some(word) = boundary.then(|| ident_at(code, i)).flatten() else {
            i += code[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let after = i + word.len();
        if !code[after..].starts_with("::") {
            i = after;
            continue;
        }
        let base: Vec<String> = match word {
            "crate" => vec![],
            "super" => here[..here.len().saturating_sub(1)]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            "self" => here.iter().map(|s| s.to_string()).collect(),
            w if children.contains(w) => {
                let mut v: Vec<String> = here.iter().map(|s| s.to_string()).collect();
                v.push(w.to_string());
                v
            }
            _ => {
                i = after;
                continue;
            }
        };
        let rest = &code[after + 2..];
        let mut tails: Vec<Vec<String>> = Vec::new();
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::b, c}`: the first segments of each item.
            let close = block_end(rest, 0);
            for item in group[..close.saturating_sub(2)].split(',') {
                tails.push(
                    item.trim()
                        .split("::")
                        .map(|s| s.trim().to_string())
                        .collect(),
                );
            }
        } else {
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            tails.push(path.split("::").map(str::to_string).collect());
        }
        for tail in tails {
            let mut full = base.clone();
            full.extend(tail.into_iter().filter(|s| !s.is_empty() && s != "self"));
            out.insert(full.join("::"));
        }
        i = after + 2;
    }
    out
}

/// Module → the modules it uses, ignoring its uses of its own ancestors (a
/// child module is part of its parent: `scan::markdown` uses `scan::Reference`).
pub fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files = library_files(src);
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut graph = BTreeMap::new();
    for (module, path) in &files {
        let code = without_tests(&blank(&std::fs::read_to_string(path).unwrap()));
        let mut deps = BTreeSet::new();
        for named in named_paths(module, &code) {
            // The longest module prefix of the path.
            let segs: Vec<&str> = named.split("::").collect();
            let target = (0..=segs.len())
                .rev()
                .map(|n| segs[..n].join("::"))
                .find(|m| modules.contains(m));
            let Some(target) = target else { continue };
            let is_ancestor = target.is_empty()
                || *module == target
                || module.starts_with(&format!("{target}::"));
            if !is_ancestor {
                deps.insert(target);
            }
        }
        graph.insert(module.clone(), deps);
    }
    graph
}

/// Every cycle's modules, found by depth-first search (empty: none).
pub fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            found.push(cycle);
            return;
        }
        if done.contains(node) {
            return;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, stack, done, found);
        }
        stack.pop();
        done.insert(node.to_string());
    }
    let (mut done, mut found) = (BTreeSet::new(), Vec::new());
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

/// Every function's length in lines, longest first: (lines, file:line, name).
pub fn function_lengths(src: &Path) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (_, path) in library_files(src) {
        let code = blank(&std::fs::read_to_string(&path).unwrap());
        for (at, _) in code.match_indices("fn ") {
            if at > 0
                && (code.as_bytes()[at - 1].is_ascii_alphanumeric()
                    || code.as_bytes()[at - 1] == b'_')
            {
                continue;
            }
            let Some(name) = ident_at(&code, at + 3) else {
                continue;
            };
            // The body: the first `{` outside (), <> and [] before any `;`.
            let mut depth = 0i32;
            let mut open = None;
            for (i, c) in code[at..].char_indices() {
                match c {
                    '(' | '[' | '<' => depth += 1,
                    ')' | ']' => depth -= 1,
                    '>' if !code[..at + i].ends_with('-') => depth -= 1,
                    ';' if depth <= 0 => break,
                    '{' if depth <= 0 => {
                        open = Some(at + i);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(open) = open else { continue };
            let end = block_end(&code, open);
            let first = code[..at].matches('\n').count() + 1;
            let last = code[..end].matches('\n').count() + 1;
            let rel = path.strip_prefix(src.parent().unwrap()).unwrap_or(&path);
            out.push((
                last - first + 1,
                format!("{}:{first}", rel.display()),
                name.to_string(),
            ));
        }
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    out
}

#[test]
fn the_cycle_check_sees_a_cycle_and_ignores_ancestors_and_tests() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod a;\nmod b;\n").unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "mod c;\nuse crate::b::X; // crate::nothing\n",
    )
    .unwrap();
    std::fs::write(
        src.join("a/c.rs"),
        "use super::Y;\nfn f() { crate::b::v(\"crate::a\") }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("b.rs"),
        "use crate::{a::c::Z, lib};\n#[cfg(test)]\nmod tests {\n    use crate::a::W;\n}\n",
    )
    .unwrap();
    let graph = module_graph(src);
    let set = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(graph["a"], set(&["b"]));
    assert_eq!(
        graph["a::c"],
        set(&["b"]),
        "uses of an ancestor do not count"
    );
    assert_eq!(graph["b"], set(&["a::c"]), "nor do test modules");
    assert_eq!(
        cycles(&graph),
        [["b", "a::c", "b"].map(String::from).to_vec()]
    );
}

#[test]
fn function_lengths_run_from_signature_to_closing_brace() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lib.rs"),
        "/// fn doc() {}\nfn one() {}\n\npub(crate) async fn three<T: Into<String>>(\n    t: T,\n) -> Result<(), ()> { let _ = \"}}\"; Ok(()) }\nfn decl();\nimpl X {\n    fn body(&self) -> u8 {\n        if true { '}' as u8 } else { 0 }\n    }\n}\n",
    )
    .unwrap();
    let found: Vec<(usize, String)> = function_lengths(dir.path())
        .into_iter()
        .map(|(n, _, name)| (n, name))
        .collect();
    assert_eq!(
        found,
        [(3, "three".into()), (3, "body".into()), (1, "one".into())]
    );
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// "Imports point one way, down the pipeline": no module of the library
/// reaches, through its `crate::`/`super::`/child paths, back to itself.
#[test]
fn module_imports_form_no_cycle() {
    let graph = module_graph(&src());
    assert!(graph["pipeline"].contains("scan"), "{graph:#?}");
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "import cycles (a module's uses of its own ancestors do not count):\n{}",
        found
            .iter()
            .map(|c| c.join(" -> "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The longest a function in `src/` may be, signature to closing brace.
const MAX_FN_LINES: usize = 80;

/// Functions over the limit that another issue is rewriting now.
const NOT_YET: &[(&str, &str)] = &[];

#[test]
fn no_function_is_longer_than_80_lines() {
    let long: Vec<String> = function_lengths(&src())
        .into_iter()
        .filter(|(n, at, name)| {
            *n > MAX_FN_LINES
                && !NOT_YET
                    .iter()
                    .any(|(file, f)| at.starts_with(&format!("{file}:")) && name == f)
        })
        .map(|(n, at, name)| format!("{at} {name}: {n} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "longer than {MAX_FN_LINES} lines:\n{}",
        long.join("\n")
    );
}
