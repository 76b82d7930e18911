//! Hostile input in every form of the application. The forms are not listed by hand: they are
//! found by crawling the pages (as an administrator and as a visitor, over the demo data), and
//! the crawl is checked against the POST routes read from the router's source, so that a new
//! form is fuzzed as soon as a page shows it and a new route fails this test until one does.
//!
//! Each form is posted as rendered with one field replaced by each hostile value, then without
//! any field and with every field twice. Whatever comes in: never a 5xx, never markup sent back
//! unescaped; a 422 shows the form again with what was typed; a refusal (4xx) writes nothing —
//! not a row, not an audit entry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use boussole::auth::model::Role;
use common::{
    Client, Page, TestApp, create_product,
    routes::{
        Route, balanced, calls, normalised, path_of, route_for, route_path, route_table,
        split_first_arg, string_lets,
    },
};
use scraper::{ElementRef, Html, Selector};
use sqlx::{PgPool, Postgres, pool::PoolConnection};

/// Pages visited per crawl, at most.
const PAGE_BUDGET: usize = 400;
/// Pages visited per GET route: the tenth measurement page shows the same forms as the first.
const PAGES_PER_ROUTE: usize = 3;
/// Crawl-then-fuzz rounds: what the fuzz leaves (an archived product, a share link, a
/// deactivated account) shows forms that the first crawl could not see. Later rounds look again
/// at the pages around the forms just fuzzed.
const ROUNDS: usize = 3;

/// POST routes that no page shows a form for, with the reason. Keep it short: a route that a
/// user cannot reach from a page is either dead code or a page that forgot its form.
const NO_FORM_ON_ANY_PAGE: &[(&str, &str)] = &[
    (
        "/api/v1/indicateurs/{id}/mesures",
        "JSON API, not a form: its hostile bodies are in tests/api.rs",
    ),
    (
        "/api/v1/produits/{slug}/indicateurs",
        "JSON API, not a form: its hostile bodies are in tests/api.rs",
    ),
    (
        "/admin/utilisateurs/{id}/proconnect",
        "shown with ProConnect configured only: its hostile input is in tests/proconnect.rs",
    ),
];

const MARKUP: &str = "<script>alert(1)</script><b>x</b>";

struct Hostile {
    label: &'static str,
    /// `None`: the field is left out.
    bytes: Option<Vec<u8>>,
    /// Whether a 422 page must show it back as typed (modulo trimming); control characters,
    /// invalid UTF-8 and oversized values may legitimately be cleaned or cut.
    shown_back: bool,
    /// Whether to send it in a choice (select, radio, checkbox) too. A choice is looked up, not
    /// parsed: one odd string stands for all dates, NUL for every control character, and a
    /// long value is one more unknown choice.
    for_choices: bool,
}

fn hostile_values() -> Vec<Hostile> {
    let text = |label, value: &str, shown_back, for_choices| Hostile {
        label,
        bytes: Some(value.as_bytes().to_vec()),
        shown_back,
        for_choices,
    };
    vec![
        text("empty", "", true, true),
        text("100 KB", &"a".repeat(100 * 1024), false, false),
        text("NUL", "a\u{0}b", false, true),
        text("BEL+ESC", "a\u{7}\u{1b}b", false, false),
        Hostile {
            label: "invalid UTF-8",
            bytes: Some(vec![b'a', 0xFF, 0xFE, b'b']),
            shown_back: false,
            for_choices: true,
        },
        text("markup", MARKUP, true, true),
        text("1e309", "1e309", true, true),
        text("NaN", "NaN", true, true),
        text("-0", "-0", true, true),
        text("0000-00-00", "0000-00-00", true, false),
        text("-0001-01-01", "-0001-01-01", true, false),
        text("2026-02-30", "2026-02-30", true, false),
        text("9999-12-31", "9999-12-31", true, false),
        Hostile {
            label: "missing",
            bytes: None,
            shown_back: false,
            for_choices: true,
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// Forms as pages render them.

#[derive(Debug, Clone)]
struct Field {
    name: String,
    kind: String,
    /// What the browser sends; `None` for an unchecked box.
    value: Option<String>,
}

#[derive(Debug, Clone)]
struct Form {
    /// The page showing it; `None` when it shows after a POST (the import preview).
    source: Option<String>,
    action: String,
    post: bool,
    multipart: bool,
    fields: Vec<Field>,
    /// Index of the client that saw it.
    who: usize,
}

impl Form {
    fn path(&self) -> &str {
        self.action.split('?').next().unwrap_or_default()
    }

    fn key(&self, route: &str) -> (String, BTreeSet<String>) {
        (
            route.to_owned(),
            self.fields.iter().map(|f| shape(&f.name)).collect(),
        )
    }

    fn sent(&self) -> Vec<(String, Vec<u8>)> {
        self.fields
            .iter()
            .filter_map(|f| Some((f.name.clone(), f.value.clone()?.into_bytes())))
            .collect()
    }

    fn files(&self) -> BTreeSet<String> {
        self.fields
            .iter()
            .filter(|f| f.kind == "file")
            .map(|f| f.name.clone())
            .collect()
    }
}

/// A field name with its ids and numbers blanked, so that the sixty cells of a RACI matrix count
/// as one field to fuzz.
fn shape(name: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    let bytes = name.as_bytes();
    while i < bytes.len() {
        if name.is_char_boundary(i)
            && name.len() >= i + 36
            && name.is_char_boundary(i + 36)
            && uuid::Uuid::parse_str(&name[i..i + 36]).is_ok()
        {
            out.push('#');
            i += 36;
        } else if bytes[i].is_ascii_digit() {
            out.push('#');
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        } else {
            let c = name[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

fn forms_of(html: &Html, page_url: &str, who: usize) -> Vec<Form> {
    let controls = selector("input, select, textarea, button");
    let option = selector("option");
    let mut forms = Vec::new();
    for form in html.select(&selector("form")) {
        let attr = |name| form.value().attr(name).unwrap_or_default();
        let action = match attr("action") {
            "" => page_url.to_owned(),
            a => a.to_owned(),
        };
        let mut fields = Vec::new();
        let mut submit_named = false;
        for control in form.select(&controls) {
            let element = control.value();
            let Some(name) = element.attr("name").filter(|n| !n.is_empty()) else {
                continue;
            };
            if element.attr("disabled").is_some() {
                continue;
            }
            let tag = element.name();
            let kind = match tag {
                "input" => element.attr("type").unwrap_or("text").to_ascii_lowercase(),
                "button" => element
                    .attr("type")
                    .unwrap_or("submit")
                    .to_ascii_lowercase(),
                other => other.to_owned(),
            };
            let value = match (tag, kind.as_str()) {
                ("textarea", _) => Some(textarea_value(control)),
                ("select", _) => {
                    let options: Vec<ElementRef> = control.select(&option).collect();
                    options
                        .iter()
                        .find(|o| o.value().attr("selected").is_some())
                        .or(options.first())
                        .map(|o| {
                            o.value()
                                .attr("value")
                                .map(str::to_owned)
                                .unwrap_or_else(|| o.text().collect())
                        })
                }
                (_, "checkbox" | "radio") => element
                    .attr("checked")
                    .map(|_| element.attr("value").unwrap_or("on").to_owned()),
                (_, "submit" | "image") => {
                    // Only the button clicked is sent: the first one.
                    if submit_named {
                        continue;
                    }
                    submit_named = true;
                    Some(element.attr("value").unwrap_or_default().to_owned())
                }
                (_, "reset" | "button") => continue,
                (_, "file") => Some(String::new()),
                _ => Some(element.attr("value").unwrap_or_default().to_owned()),
            };
            fields.push(Field {
                name: name.to_owned(),
                kind,
                value,
            });
        }
        forms.push(Form {
            source: Some(page_url.to_owned()),
            action,
            post: attr("method").eq_ignore_ascii_case("post"),
            multipart: attr("enctype").eq_ignore_ascii_case("multipart/form-data"),
            fields,
            who,
        });
    }
    forms
}

fn textarea_value(element: ElementRef) -> String {
    let text: String = element.text().collect();
    // HTML drops the newline that follows `<textarea>`.
    text.strip_prefix('\n').map(str::to_owned).unwrap_or(text)
}

fn links_of(html: &Html) -> Vec<String> {
    html.select(&selector("a[href^='/']"))
        .filter_map(|a| a.value().attr("href"))
        .filter(|href| !href.starts_with("//"))
        .map(|href| href.split('#').next().unwrap_or_default().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Requests with bodies built by hand: raw bytes, so that invalid UTF-8 goes through.

fn percent(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => write!(out, "%{b:02X}").unwrap(),
        }
    }
    out
}

fn urlencoded(pairs: &[(String, Vec<u8>)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k.as_bytes()), percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

const BOUNDARY: &str = "----boussole-fuzz-7d1f3a";

fn multipart(pairs: &[(String, Vec<u8>)], files: &BTreeSet<String>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in pairs {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        if files.contains(name) {
            body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"fuzz.csv\"\r\n\
                     Content-Type: text/csv\r\n\r\n"
                )
                .as_bytes(),
            );
        } else {
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn submit(client: &mut Client, form: &Form, pairs: &[(String, Vec<u8>)]) -> Page {
    let request = if !form.post {
        let query = urlencoded(pairs);
        let separator = if form.action.contains('?') { '&' } else { '?' };
        Request::get(format!("{}{separator}{query}", form.action))
            .body(Body::empty())
            .unwrap()
    } else if form.multipart {
        Request::post(&form.action)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from(multipart(pairs, &form.files())))
            .unwrap()
    } else {
        Request::post(&form.action)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(urlencoded(pairs)))
            .unwrap()
    };
    client.send(request).await
}

/// GET, following redirects within the site; returns the page and where it ended.
async fn get_following(client: &mut Client, url: &str) -> (Page, String) {
    let mut url = url.to_owned();
    for _ in 0..5 {
        let page = client.get(&url).await;
        match page.location() {
            Some(next) if page.status.is_redirection() && next.starts_with('/') => {
                url = next.to_owned()
            }
            _ => return (page, url),
        }
    }
    (client.get(&url).await, url)
}

// ---------------------------------------------------------------------------------------------
// Row counts, to prove that a refusal wrote nothing.

type Counts = BTreeMap<String, i64>;

/// The row counts of every table holding user data, to prove that a refusal wrote nothing.
/// Sessions, failed logins and share-link hits are bookkeeping that a refused request may
/// legitimately touch.
struct RowCounts {
    /// A connection of its own: taking one from the pool thousands of times is slow.
    conn: PoolConnection<Postgres>,
    /// One query counting them all, written by PostgreSQL from its catalogue.
    query: String,
    /// The counts, and the next transaction id when they were taken.
    last: Option<(String, Counts)>,
    time: Duration,
}

impl RowCounts {
    async fn new(db: &PgPool) -> Self {
        let query = sqlx::query_scalar(
            "select string_agg(format('select %L::text, count(*) from public.%I',
                                      table_name, table_name), ' union all ' order by table_name)
               from information_schema.tables
              where table_schema = 'public' and table_type = 'BASE TABLE'
                and table_name not in
                    ('sessions', 'login_failures', 'share_hits', '_sqlx_migrations')",
        )
        .fetch_one(db)
        .await
        .unwrap();
        Self {
            conn: db.acquire().await.unwrap(),
            query,
            last: None,
            time: Duration::ZERO,
        }
    }

    /// The counts now. Counting every table after each of thousands of requests is slow: if
    /// the next transaction id of the cluster is still the same, nothing has written since the
    /// last count (a write, even rolled back, takes an id), and the last count stands.
    async fn now(&mut self) -> Counts {
        let started = Instant::now();
        let next_xid: String =
            sqlx::query_scalar("select pg_snapshot_xmax(pg_current_snapshot())::text")
                .fetch_one(&mut *self.conn)
                .await
                .unwrap();
        if let Some((xid, counts)) = &self.last
            && *xid == next_xid
        {
            self.time += started.elapsed();
            return counts.clone();
        }
        let counts: Counts =
            sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(self.query.clone()))
                .fetch_all(&mut *self.conn)
                .await
                .unwrap()
                .into_iter()
                .collect();
        self.last = Some((next_xid, counts.clone()));
        self.time += started.elapsed();
        counts
    }
}

fn count_changes(before: &Counts, after: &Counts) -> String {
    after
        .iter()
        .filter(|(table, n)| before.get(*table) != Some(n))
        .map(|(table, n)| format!("{table} {}→{n}", before.get(table).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// The run.

struct Run {
    failures: Vec<String>,
    requests: usize,
    by_route: BTreeMap<String, (usize, Duration)>,
    notes: Vec<String>,
    rows: RowCounts,
    refresh_time: Duration,
    /// 422 pages checked for the value typed, and refusals checked for writes.
    inputs_checked: usize,
    refusals_checked: usize,
    /// Successful writes after which the stored health was compared with a fresh computation.
    health_checks: usize,
}

impl Run {
    /// The health stored for the dashboard is what computing it from scratch gives.
    async fn check_health(&mut self, what: &str, page: &Page) {
        let today = boussole::web::filters::today();
        let fresh = boussole::portfolio::health::compute(&mut self.rows.conn, None, today)
            .await
            .unwrap();
        let stored: Vec<(uuid::Uuid, serde_json::Value)> =
            sqlx::query_as("select product_id, health from product_health")
                .fetch_all(&mut *self.rows.conn)
                .await
                .unwrap();
        let stored: std::collections::HashMap<_, _> = stored.into_iter().collect();
        self.health_checks += 1;
        for row in fresh {
            let expected = boussole::portfolio::health::Health::of(&row);
            let found = stored
                .get(&row.id)
                .map(|v| serde_json::from_value::<boussole::portfolio::health::Health>(v.clone()));
            if !matches!(&found, Some(Ok(h)) if *h == expected) {
                self.fail(
                    what,
                    page,
                    &format!(
                        "the stored health of « {} » is {found:?}, computed afresh {expected:?}",
                        row.name
                    ),
                );
            }
        }
    }

    fn fail(&mut self, what: &str, page: &Page, problem: &str) {
        let main = {
            let text = page.text("main");
            if text.is_empty() {
                page.body.clone()
            } else {
                text
            }
        };
        let excerpt: String = main.chars().take(200).collect();
        self.failures.push(format!(
            "{what} → {} {problem}\n      page: {excerpt}",
            page.status.as_u16()
        ));
    }

    /// The checks every answer must pass.
    fn check_answer(&mut self, what: &str, page: &Page) {
        if page.status.is_server_error() {
            self.fail(what, page, "server error");
        }
        if page.body.contains("<script>alert(1)</script>") {
            self.fail(what, page, "markup sent back unescaped");
        }
    }
}

struct Case {
    label: String,
    pairs: Vec<(String, Vec<u8>)>,
    /// The text field whose value a 422 must show back.
    shown_back: Option<(String, String)>,
}

const TEXT_KINDS: &[&str] = &[
    "text",
    "textarea",
    "email",
    "url",
    "search",
    "tel",
    "number",
    "date",
    "month",
    "week",
    "time",
    "datetime-local",
];

fn cases(form: &Form) -> Vec<Case> {
    let sent = form.sent();
    let mut cases = vec![
        Case {
            label: "every field missing".into(),
            pairs: Vec::new(),
            shown_back: None,
        },
        Case {
            label: "every field twice".into(),
            pairs: sent.iter().flat_map(|p| [p.clone(), p.clone()]).collect(),
            shown_back: None,
        },
    ];
    let mut shapes = HashSet::new();
    for field in &form.fields {
        if !shapes.insert(shape(&field.name)) {
            continue;
        }
        for hostile in hostile_values() {
            if matches!(field.kind.as_str(), "select" | "radio" | "checkbox")
                && !hostile.for_choices
            {
                continue;
            }
            let mut pairs = Vec::new();
            let mut placed = false;
            for (name, value) in &sent {
                if *name != field.name {
                    pairs.push((name.clone(), value.clone()));
                } else if !placed {
                    placed = true;
                    if let Some(bytes) = &hostile.bytes {
                        pairs.push((name.clone(), bytes.clone()));
                    }
                }
            }
            if !placed && let Some(bytes) = &hostile.bytes {
                pairs.push((field.name.clone(), bytes.clone()));
            }
            let shown_back = (hostile.shown_back && TEXT_KINDS.contains(&field.kind.as_str()))
                .then(|| {
                    let value = String::from_utf8(hostile.bytes.clone().unwrap_or_default());
                    (field.name.clone(), value.unwrap())
                });
            cases.push(Case {
                label: format!("{}={}", field.name, hostile.label),
                pairs,
                shown_back,
            });
        }
    }
    cases
}

/// What the page shows in the fields named `name`.
fn shown_values(page: &Page, name: &str) -> Vec<String> {
    let html = page.html();
    html.select(&selector("input, textarea"))
        .filter(|e| e.value().attr("name") == Some(name))
        .map(|e| match e.value().name() {
            "textarea" => textarea_value(e),
            _ => e.value().attr("value").unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Destructive forms go last, so that they do not take the other forms' data with them.
fn rank(route: &str) -> u8 {
    let last = route.rsplit('/').next().unwrap_or_default();
    match last {
        "logout" => 3,
        "archiver" | "desactiver" => 2,
        "supprimer" | "revoquer" | "retirer" => 1,
        _ => 0,
    }
}

struct Crawl {
    forms: Vec<Form>,
    /// Every page visited, with the CSV links it offers.
    pages: Vec<(String, Vec<String>)>,
}

/// Breadth-first from `/`; or, given `seeds`, from those pages to kinds of page (routes) not
/// `known` yet.
async fn crawl(
    run: &mut Run,
    client: &mut Client,
    routes: &[Route],
    who: usize,
    seeds: &[String],
    known: &mut HashSet<String>,
) -> Crawl {
    let mut queue: VecDeque<(String, bool)> = seeds.iter().map(|s| (normalised(s), true)).collect();
    if seeds.is_empty() {
        queue.push_back(("/".to_owned(), false));
    }
    let mut seen: HashSet<String> = queue.iter().map(|(url, _)| url.clone()).collect();
    let mut per_route: HashMap<String, usize> = HashMap::new();
    let mut crawl = Crawl {
        forms: Vec::new(),
        pages: Vec::new(),
    };
    while let Some((url, seed)) = queue.pop_front() {
        if crawl.pages.len() >= PAGE_BUDGET {
            run.notes.push(format!(
                "crawl {who}: page budget reached, {} left in the queue",
                queue.len() + 1
            ));
            break;
        }
        let kind = route_for(routes, path_of(&url), false)
            .map_or_else(|| url.clone(), |r| r.pattern.clone());
        if !seeds.is_empty() && !seed && known.contains(&kind) {
            continue;
        }
        let visits = per_route.entry(kind.clone()).or_default();
        if *visits >= PAGES_PER_ROUTE && !seed {
            continue;
        }
        *visits += 1;
        let page = client.get(&url).await;
        run.requests += 1;
        run.check_answer(&format!("GET {url}"), &page);
        let mut next = Vec::new();
        if page.status.is_redirection() {
            next.extend(page.location().map(str::to_owned));
        } else if page.status == StatusCode::OK
            && page
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
        {
            let html = page.html();
            let links = links_of(&html);
            let csv = links
                .iter()
                .filter(|l| path_of(l).ends_with(".csv"))
                .cloned()
                .collect();
            crawl.forms.extend(forms_of(&html, &url, who));
            crawl.pages.push((url.clone(), csv));
            next = links;
        }
        for link in next {
            let path = path_of(&link);
            if !link.starts_with('/')
                || link.starts_with("//")
                || path == "/logout"
                || path.starts_with("/static/")
                || path.starts_with("/r/")
                || path.ends_with(".csv")
            {
                continue;
            }
            let link = normalised(&link);
            if seen.insert(link.clone()) {
                queue.push_back((link, false));
            }
        }
    }
    known.extend(per_route.into_keys());
    crawl
}

/// The form as the page shows it now (its version fields change with every save).
async fn refreshed(client: &mut Client, routes: &[Route], form: &Form) -> Option<Form> {
    let Some(source) = &form.source else {
        return Some(form.clone());
    };
    let route = route_for(routes, form.path(), form.post)?.pattern.clone();
    let key = form.key(&route);
    let (page, url) = get_following(client, source).await;
    if page.status != StatusCode::OK {
        return None;
    }
    let same_route: Vec<Form> = forms_of(&page.html(), &url, form.who)
        .into_iter()
        .filter(|f| {
            f.post == form.post
                && route_for(routes, f.path(), f.post).is_some_and(|r| r.pattern == route)
        })
        .collect();
    same_route
        .iter()
        .find(|f| f.action == form.action && f.key(&route) == key)
        .or_else(|| same_route.iter().find(|f| f.key(&route) == key))
        .or(same_route.first())
        .cloned()
}

async fn fuzz_form(
    run: &mut Run,
    client: &mut Client,
    routes: &[Route],
    route: &str,
    mut form: Form,
) {
    let all = cases(&form);
    let total = all.len();
    let mut before = run.rows.now().await;
    let method = if form.post { "POST" } else { "GET" };
    for (done, case) in all.into_iter().enumerate() {
        let body: String = urlencoded(&case.pairs).chars().take(300).collect();
        let what = format!(
            "{method} {} [{}]\n      sent: {body}",
            form.action, case.label
        );
        let sent_at = Instant::now();
        let page = submit(client, &form, &case.pairs).await;
        run.requests += 1;
        let entry = run.by_route.entry(route.to_owned()).or_default();
        entry.0 += 1;
        entry.1 += sent_at.elapsed();
        run.check_answer(&what, &page);
        if page.status == StatusCode::UNPROCESSABLE_ENTITY
            && let Some((name, value)) = &case.shown_back
        {
            run.inputs_checked += 1;
            let shown = shown_values(&page, name);
            if shown.is_empty() {
                run.fail(&what, &page, &format!("the 422 page has no field `{name}`"));
            } else if !shown.iter().any(|s| s.trim() == value.trim()) {
                run.fail(
                    &what,
                    &page,
                    &format!("the 422 page shows `{name}` = {shown:?}, not what was typed"),
                );
            }
        }
        if !form.post {
            continue;
        }
        let after = run.rows.now().await;
        let refused = page.status.is_client_error();
        if refused {
            run.refusals_checked += 1;
            if after != before {
                run.fail(
                    &what,
                    &page,
                    &format!("refused, yet wrote: {}", count_changes(&before, &after)),
                );
            }
        }
        before = after;
        if !refused {
            run.check_health(&what, &page).await;
        }
        // A save makes the version a form carries stale, and a deletion takes the form away:
        // take it afresh. Other forms still hold what their page showed.
        let versioned = form.fields.iter().any(|f| f.kind == "hidden");
        if !refused && (versioned || rank(route) > 0) {
            let refresh_start = Instant::now();
            let fresh = refreshed(client, routes, &form).await;
            run.refresh_time += refresh_start.elapsed();
            match fresh {
                Some(fresh) => form = fresh,
                None => {
                    run.notes.push(format!(
                        "{route}: the form left its page after `{}` ({}/{total} cases run)",
                        case.label,
                        done + 1
                    ));
                    return;
                }
            }
        }
    }
}

/// Hostile values in the query strings of the pages and GET forms, and in path parameters.
async fn fuzz_gets(
    run: &mut Run,
    client: &mut Client,
    routes: &[Route],
    urls: &[String],
    get_forms: &[Form],
) {
    let fixed = [
        "/?q=%00",
        "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/?sort=%FF",
        "/?sort=%FF%FE&dir=%00",
        "/produits?q=%FF&page=1e309",
        "/produits?page=-0",
        "/produits?page=NaN",
        "/produits?page=99999999999999999999",
    ];
    for url in fixed {
        let page = client.get(url).await;
        run.requests += 1;
        run.check_answer(&format!("GET {url}"), &page);
    }
    // A URI holds 64 KB at most: the long value is 8 KB here, what a proxy typically allows.
    let hostile: Vec<String> = hostile_values()
        .into_iter()
        .filter_map(|h| h.bytes)
        .map(|b| percent(&b[..b.len().min(8 * 1024)]))
        .collect();
    // One page per route for each parameter its links or forms use.
    let mut params: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut add = |path: &str, name: &str| {
        let route = route_for(routes, path, false).map_or(path, |r| r.pattern.as_str());
        params
            .entry((route.to_owned(), name.to_owned()))
            .or_insert_with(|| path.to_owned());
    };
    for url in urls {
        if let Some((path, query)) = url.split_once('?') {
            for pair in query.split('&') {
                add(path, pair.split('=').next().unwrap_or_default());
            }
        }
    }
    for form in get_forms {
        for field in &form.fields {
            add(form.path(), &field.name);
        }
    }
    for ((_, name), path) in params {
        for value in &hostile {
            let url = format!("{path}?{}={value}", percent(name.as_bytes()));
            let page = client.get(&url).await;
            run.requests += 1;
            let shown: String = url.chars().take(120).collect();
            run.check_answer(&format!("GET {shown}"), &page);
        }
    }
}

/// Each path parameter of each route replaced by hostile segments: a 404, never a 5xx.
async fn fuzz_paths(
    run: &mut Run,
    client: &mut Client,
    routes: &[Route],
    examples: &BTreeMap<String, Form>,
) {
    let segments = ["%FF%FE", "%00", "00000000-0000-0000-0000-000000000000"];
    let long = "a".repeat(2000);
    for (pattern, form) in examples {
        let Some(route) = routes.iter().find(|r| &r.pattern == pattern) else {
            continue;
        };
        let pattern_parts: Vec<&str> = route.pattern.split('/').collect();
        let path_parts: Vec<&str> = form.path().split('/').collect();
        for (i, part) in pattern_parts.iter().enumerate() {
            if !part.starts_with('{') {
                continue;
            }
            for segment in segments.iter().copied().chain([long.as_str()]) {
                let mut parts = path_parts.clone();
                parts[i] = segment;
                let mut probe = form.clone();
                probe.action = parts.join("/");
                let before = run.rows.now().await;
                let page = submit(client, &probe, &probe.sent()).await;
                run.requests += 1;
                let shown: String = probe.action.chars().take(120).collect();
                let what = format!("{} {shown}", if form.post { "POST" } else { "GET" });
                run.check_answer(&what, &page);
                if form.post && page.status.is_client_error() {
                    run.refusals_checked += 1;
                    let after = run.rows.now().await;
                    if after != before {
                        run.fail(
                            &what,
                            &page,
                            &format!("refused, yet wrote: {}", count_changes(&before, &after)),
                        );
                    }
                }
            }
        }
    }
}

/// The pages to see again after a round: where each fuzzed form was, and the pages above it
/// (`/produits/x` above `/produits/x/archiver`).
fn pages_around(forms: &[Form]) -> Vec<String> {
    let mut pages = BTreeSet::new();
    for form in forms {
        if let Some(source) = &form.source {
            let mut path = path_of(source).to_owned();
            pages.insert(source.clone());
            while let Some((parent, _)) = path.rsplit_once('/') {
                if parent.is_empty() {
                    break;
                }
                pages.insert(parent.to_owned());
                path = parent.to_owned();
            }
        }
    }
    pages.into_iter().collect()
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn no_form_answers_a_server_error_loses_input_or_writes_when_it_refuses(db: PgPool) {
    // Server errors are logged with their cause: show them next to the failure report.
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::ERROR)
        .with_test_writer()
        .try_init();
    let started = Instant::now();
    boussole::demo::load(&db, false).await.unwrap();
    let app = TestApp::new(db.clone());
    let (admin, _) = app.signed_in(Role::Admin).await;
    let mut clients = [admin, app.client()];
    // A failed sign-in, so that the accounts page offers to lift it.
    let failed = clients[1]
        .login(
            boussole::demo::DEMO_ACCOUNTS[2].0,
            "pas le bon mot de passe",
        )
        .await;
    assert_eq!(
        failed.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        failed.text("main")
    );
    let routes = route_table();
    let post_routes: Vec<&Route> = routes.iter().filter(|r| r.post).collect();
    assert!(
        post_routes.len() > 20,
        "the route table reads only {} POST routes from src/: has the router's syntax changed?",
        post_routes.len()
    );
    println!("setup: {:.1} s", started.elapsed().as_secs_f64());
    let mut run = Run {
        failures: Vec::new(),
        requests: 0,
        by_route: BTreeMap::new(),
        notes: Vec::new(),
        rows: RowCounts::new(&db).await,
        refresh_time: Duration::ZERO,
        inputs_checked: 0,
        refusals_checked: 0,
        health_checks: 0,
    };
    // The write check sees writes: a product created through its form shows in the counts.
    let before = run.rows.now().await;
    create_product(&mut clients[0], &db, "Produit du fuzz").await;
    let after = run.rows.now().await;
    assert_eq!(after["products"], before["products"] + 1);
    assert!(after["audit_events"] > before["audit_events"]);
    let mut fuzzed: BTreeSet<(String, BTreeSet<String>)> = BTreeSet::new();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let mut deferred: Vec<(String, Form)> = Vec::new();
    let mut seeds: Vec<String> = Vec::new();
    let mut known: HashSet<String> = HashSet::new();
    let mut pages_seen = 0;
    for round in 1..=ROUNDS {
        let round_start = Instant::now();
        // 1. Crawl, as the administrator then as a visitor.
        let mut found = Vec::new();
        let mut pages = Vec::new();
        for (who, client) in clients.iter_mut().enumerate() {
            let crawl = crawl(&mut run, client, &routes, who, &seeds, &mut known).await;
            found.extend(crawl.forms);
            pages.extend(crawl.pages);
        }
        pages_seen += pages.len();
        // Forms that show only after a file is sent: the import's preview. Send the CSV the
        // page itself offers (its example file).
        let uploads: Vec<Form> = found
            .iter()
            .filter(|f| f.post && f.multipart)
            .cloned()
            .collect();
        for form in uploads {
            let csv = pages
                .iter()
                .find(|(url, _)| Some(url) == form.source.as_ref())
                .and_then(|(_, csv)| csv.first().cloned());
            let Some(csv) = csv else { continue };
            let client = &mut clients[form.who];
            let content = client.get(&csv).await.body.into_bytes();
            let pairs: Vec<(String, Vec<u8>)> = form
                .sent()
                .into_iter()
                .map(|(name, value)| {
                    if form.files().contains(&name) {
                        (name, content.clone())
                    } else {
                        (name, value)
                    }
                })
                .collect();
            let page = submit(client, &form, &pairs).await;
            run.requests += 2;
            run.check_answer(&format!("POST {} [{csv}]", form.action), &page);
            if page.status == StatusCode::OK {
                found.extend(
                    forms_of(&page.html(), &form.action, form.who)
                        .into_iter()
                        .map(|mut f| {
                            f.source = None;
                            f
                        }),
                );
            }
        }

        // 2. One form per route and set of fields; every form must post to a route.
        let mut forms: BTreeMap<(String, BTreeSet<String>), (String, Form)> = BTreeMap::new();
        let mut get_forms = Vec::new();
        let mut examples: BTreeMap<String, Form> = BTreeMap::new();
        for form in found {
            if !form.post {
                get_forms.push(form);
                continue;
            }
            let Some(route) = route_for(&routes, form.path(), true) else {
                run.failures.push(format!(
                    "a form on {:?} posts to {}, which no POST route serves",
                    form.source, form.action
                ));
                continue;
            };
            let key = form.key(&route.pattern);
            if fuzzed.contains(&key) {
                continue;
            }
            examples
                .entry(route.pattern.clone())
                .or_insert_with(|| form.clone());
            forms
                .entry(key)
                .or_insert_with(|| (route.pattern.clone(), form));
        }
        println!(
            "round {round}: crawl of {} pages in {:.1} s, {} new POST forms ({} GET forms)",
            pages.len(),
            round_start.elapsed().as_secs_f64(),
            forms.len(),
            get_forms.len()
        );
        if forms.is_empty() {
            break;
        }
        fuzzed.extend(forms.keys().cloned());
        covered.extend(forms.values().map(|(route, _)| route.clone()));

        // 3. Hostile query strings and path parameters (first round: the pages are the same
        // afterwards), then the forms, the destructive ones last.
        if round == 1 {
            let phase = Instant::now();
            for page in &pages {
                if let Some(route) = route_for(&routes, path_of(&page.0), false) {
                    examples.entry(route.pattern.clone()).or_insert(Form {
                        source: None,
                        action: page.0.clone(),
                        post: false,
                        multipart: false,
                        fields: Vec::new(),
                        who: 0,
                    });
                }
            }
            let urls: Vec<String> = pages.iter().map(|(url, _)| url.clone()).collect();
            let before = run.requests;
            fuzz_gets(&mut run, &mut clients[0], &routes, &urls, &get_forms).await;
            fuzz_paths(&mut run, &mut clients[0], &routes, &examples).await;
            println!(
                "round {round}: {} query-string and path requests in {:.1} s",
                run.requests - before,
                phase.elapsed().as_secs_f64()
            );
        }
        let phase = Instant::now();
        let mut ordered: Vec<(String, Form)> = forms.into_values().collect();
        ordered.sort_by_key(|(route, _)| rank(route));
        seeds = pages_around(&ordered.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>());
        for (route, form) in ordered {
            // Signing out would end the crawls to come: it goes last of all.
            if rank(&route) == 3 {
                deferred.push((route, form));
                continue;
            }
            let client = &mut clients[form.who];
            let Some(form) = refreshed(client, &routes, &form).await else {
                run.notes
                    .push(format!("{route}: the form left its page before its turn"));
                continue;
            };
            fuzz_form(&mut run, client, &routes, &route, form).await;
        }
        println!(
            "round {round}: forms fuzzed in {:.1} s",
            phase.elapsed().as_secs_f64()
        );
    }
    for (route, form) in deferred {
        let client = &mut clients[form.who];
        if let Some(form) = refreshed(client, &routes, &form).await {
            fuzz_form(&mut run, client, &routes, &route, form).await;
        }
    }

    // 4. Every POST route has a form on some page.
    let allowed: BTreeSet<&str> = NO_FORM_ON_ANY_PAGE.iter().map(|(r, _)| *r).collect();
    let uncovered: Vec<&str> = post_routes
        .iter()
        .map(|r| r.pattern.as_str())
        .filter(|r| !covered.contains(*r) && !allowed.contains(r))
        .collect();

    println!(
        "{} pages crawled, {} POST forms fuzzed ({} of {} POST routes), {} requests in {:.1} s",
        pages_seen,
        fuzzed.len(),
        covered.len(),
        post_routes.len(),
        run.requests,
        started.elapsed().as_secs_f64()
    );
    println!(
        "of which row counts {:.1} s, forms taken afresh after a save {:.1} s",
        run.rows.time.as_secs_f64(),
        run.refresh_time.as_secs_f64()
    );
    println!(
        "{} pages answering 422 checked for the value typed, {} refusals checked for writes",
        run.inputs_checked, run.refusals_checked
    );
    println!(
        "{} successful writes after which the stored health matched a fresh computation",
        run.health_checks
    );
    assert!(
        run.health_checks > 20,
        "the health was checked after the writes"
    );
    println!("cases and time per route:");
    for (route, (n, time)) in &run.by_route {
        println!("  {n:4} {:6.2} s  {route}", time.as_secs_f64());
    }
    for note in &run.notes {
        println!("note: {note}");
    }
    let mut report = Vec::new();
    if !uncovered.is_empty() {
        report.push(format!(
            "POST routes that no crawled page shows a form for:\n  {}",
            uncovered.join("\n  ")
        ));
    }
    if !run.failures.is_empty() {
        report.push(format!(
            "failures ({}):\n  {}",
            run.failures.len(),
            run.failures.join("\n  ")
        ));
    }
    assert!(report.is_empty(), "{}", report.join("\n\n"));
}

#[test]
fn the_route_table_reads_literals_lets_and_format() {
    let source = r#"
        let r = "/produits/{slug}/roadmaps/{id}";
        Router::new()
            .route("/a", get(h::a).post(h::b))
            .route(&format!("{r}/risques/{{rid}}/modifier"), get(h::c).post(h::d))
            .route(r, get(h::show))
            .route("/logout", axum::routing::post(h::logout))
    "#;
    let lets = string_lets(source);
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(i) = rest.find(".route(") {
        let after = &rest[i + 7..];
        let args = balanced(after).unwrap();
        let (first, methods) = split_first_arg(args);
        found.push((
            route_path(first.trim(), &lets).unwrap(),
            calls(methods, "post"),
        ));
        rest = &after[args.len()..];
    }
    assert_eq!(
        found,
        [
            ("/a".to_owned(), true),
            (
                "/produits/{slug}/roadmaps/{id}/risques/{rid}/modifier".to_owned(),
                true
            ),
            ("/produits/{slug}/roadmaps/{id}".to_owned(), false),
            ("/logout".to_owned(), true),
        ]
    );
    let routes = [
        Route {
            pattern: "/admin/{list}".into(),
            get: true,
            post: true,
        },
        Route {
            pattern: "/admin/utilisateurs".into(),
            get: true,
            post: true,
        },
    ];
    assert_eq!(
        route_for(&routes, "/admin/utilisateurs", true).map(|r| r.pattern.as_str()),
        Some("/admin/utilisateurs")
    );
    assert_eq!(
        route_for(&routes, "/admin/phases", true).map(|r| r.pattern.as_str()),
        Some("/admin/{list}")
    );
    assert_eq!(
        shape("cell_1f0c7a52-9a4e-4c1b-8f3e-2b7d9c0e5a11_x2"),
        "cell_#_x#"
    );
}
