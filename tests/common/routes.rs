//! The application's routes read from the source of its routers, so that crawls and fuzzers
//! know every kind of page and form without a hand-kept list.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

#[derive(Debug, Clone)]
pub struct Route {
    pub pattern: String,
    pub get: bool,
    pub post: bool,
}

impl Route {
    pub fn params(&self) -> usize {
        self.pattern.matches('{').count()
    }

    pub fn matches(&self, path: &str) -> bool {
        let pattern: Vec<&str> = self.pattern.split('/').collect();
        let path: Vec<&str> = path.split('/').collect();
        if let Some(last) = pattern.last()
            && last.starts_with("{*")
        {
            return path.len() >= pattern.len()
                && pattern
                    .iter()
                    .zip(&path)
                    .all(|(p, s)| segment_matches(p, s));
        }
        pattern.len() == path.len()
            && pattern
                .iter()
                .zip(&path)
                .all(|(p, s)| segment_matches(p, s))
    }
}

pub fn segment_matches(pattern: &str, segment: &str) -> bool {
    if pattern.starts_with('{') && pattern.ends_with('}') {
        !segment.is_empty()
    } else {
        pattern == segment
    }
}

/// The most specific route serving `path` with this method, as axum picks it (static segments
/// win over parameters).
pub fn route_for<'a>(routes: &'a [Route], path: &str, post: bool) -> Option<&'a Route> {
    routes
        .iter()
        .filter(|r| if post { r.post } else { r.get })
        .filter(|r| r.matches(path))
        .min_by_key(|r| r.params())
}

pub fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// Every `.route(PATH, METHODS)` under `src/`. PATH is a literal, a `let` bound to a literal, or a
/// `format!` of those (`&format!("{r}/risques/{{rid}}/modifier")`).
pub fn route_table() -> Vec<Route> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files.sort();
    let mut routes = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let lets = string_lets(&source);
        let mut rest = source.as_str();
        while let Some(i) = rest.find(".route(") {
            let after = &rest[i + ".route(".len()..];
            let Some(args) = balanced(after) else { break };
            let (first, methods) = split_first_arg(args);
            match route_path(first.trim(), &lets) {
                Some(pattern) => routes.push(Route {
                    pattern,
                    get: calls(methods, "get"),
                    post: calls(methods, "post"),
                }),
                None => panic!(
                    "{}: cannot read the path of .route({})",
                    file.display(),
                    args.trim()
                ),
            }
            rest = &after[args.len()..];
        }
    }
    routes
}

/// `let NAME = "VALUE";` bindings of a file.
pub fn string_lets(source: &str) -> HashMap<String, String> {
    let mut lets = HashMap::new();
    for (i, _) in source.match_indices("let ") {
        let rest = &source[i + 4..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let rest = rest[name.len()..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix('"') else {
            continue;
        };
        if let Some(end) = rest.find('"') {
            lets.insert(name, rest[..end].to_owned());
        }
    }
    lets
}

/// The text up to the parenthesis closing the one just opened (string literals skipped).
pub fn balanced(text: &str) -> Option<&str> {
    let mut depth = 1;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[..i]);
                }
            }
            _ => {}
        }
    }
    None
}

pub fn split_first_arg(args: &str) -> (&str, &str) {
    let mut depth = 0;
    let mut in_string = false;
    for (i, c) in args.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' | '[' | '{' if !in_string => depth += 1,
            ')' | ']' | '}' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => return (&args[..i], &args[i + 1..]),
            _ => {}
        }
    }
    (args, "")
}

/// Whether the method chain calls `name(` (`post(…)`, `.post(…)`, `routing::post(…)`).
pub fn calls(chain: &str, name: &str) -> bool {
    chain.match_indices(&format!("{name}(")).any(|(i, _)| {
        chain[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

pub fn route_path(expr: &str, lets: &HashMap<String, String>) -> Option<String> {
    if let Some(literal) = expr.strip_prefix('"') {
        return literal.strip_suffix('"').map(str::to_owned);
    }
    if let Some(inner) = expr
        .trim_start_matches('&')
        .strip_prefix("format!(")
        .and_then(|s| s.strip_suffix(')'))
    {
        let template = inner.trim().strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push('}');
                }
                '{' => {
                    let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    out.push_str(lets.get(&name)?);
                }
                c => out.push(c),
            }
        }
        return Some(out);
    }
    lets.get(expr).cloned()
}

/// A URL with its query parameters sorted, so that `?a=1&b=2` and `?b=2&a=1` are one page.
pub fn normalised(url: &str) -> String {
    match url.split_once('?') {
        Some((path, query)) => {
            let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
            pairs.sort();
            if pairs.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", pairs.join("&"))
            }
        }
        None => url.to_owned(),
    }
}

pub fn path_of(url: &str) -> &str {
    url.split('?').next().unwrap_or_default()
}
