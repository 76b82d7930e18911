//! Test harness: the production router on a fresh migrated database (given by `#[sqlx::test]`),
//! a cookie-keeping client that calls it in-process, a real server on 127.0.0.1:0 for session
//! flows, and (in `browser`) headless Chromium with axe-core.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod browser;
pub mod oidc;
pub mod routes;

use std::{net::SocketAddr, sync::LazyLock};

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use boussole::{
    AppState,
    auth::{
        db,
        model::{self, Role},
    },
    config::Config,
};
use scraper::{Html, Selector};
use sqlx::PgPool;
use tokio::sync::oneshot;
use tower::ServiceExt;

pub const PASSWORD: &str = "une phrase de passe solide";
static PASSWORD_HASH: LazyLock<String> = LazyLock::new(|| model::hash_password(PASSWORD).unwrap());

pub fn config() -> Config {
    Config::local("postgres://unused-the-pool-is-given")
}

pub struct TestUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// Creates an account with the shared test password.
pub async fn create_user(db: &PgPool, role: Role, name: &str) -> TestUser {
    let email = format!(
        "{}.{}@test.gouv.fr",
        name.to_lowercase().replace(' ', "."),
        &uuid::Uuid::new_v4().to_string()[..8]
    );
    let id = db::create_user(db, &email, name, role, &PASSWORD_HASH)
        .await
        .unwrap();
    TestUser {
        id,
        email,
        name: name.into(),
        role,
    }
}

/// The production router, called in-process.
pub struct TestApp {
    pub db: PgPool,
    pub state: AppState,
    pub router: Router,
}

impl TestApp {
    pub fn new(db: PgPool) -> Self {
        let state = AppState::new(db.clone(), config());
        Self {
            router: boussole::router(state.clone()),
            db,
            state,
        }
    }

    pub fn client(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookie: None,
        }
    }

    /// A client signed in as a new user of this role.
    pub async fn signed_in(&self, role: Role) -> (Client, TestUser) {
        let name = match role {
            Role::Admin => "Alice Admin",
            Role::Editor => "Marie Editrice",
            Role::Reader => "Jean Lecteur",
        };
        let user = create_user(&self.db, role, name).await;
        let mut client = self.client();
        let page = client.login(&user.email, PASSWORD).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "login of {} failed: {}",
            user.email,
            page.body
        );
        (client, user)
    }
}

/// Keeps the session cookie between requests, like a browser.
#[derive(Clone)]
pub struct Client {
    router: Router,
    pub cookie: Option<String>,
}

impl Client {
    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// A GET by a client that holds the version `etag` of the page, as a browser revalidates.
    pub async fn revalidate(&mut self, path: &str, etag: &str) -> Page {
        self.send(
            Request::get(path)
                .header(header::IF_NONE_MATCH, etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded(form);
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Page {
        self.post("/login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn send(&mut self, mut request: Request<Body>) -> Page {
        if let Some(cookie) = &self.cookie {
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        let response = self.router.clone().oneshot(request).await.unwrap();
        for set_cookie in response.headers().get_all(header::SET_COOKIE) {
            let value = set_cookie.to_str().unwrap();
            let pair = value.split(';').next().unwrap().to_owned();
            if value.contains("Max-Age=0") {
                self.cookie = None;
            } else {
                self.cookie = Some(pair);
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }
}

fn serde_urlencoded(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A response, with helpers to read it the way a user would.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent, for downloads that are not text.
    pub bytes: Vec<u8>,
}

impl Page {
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The text of every element matching `selector`, whitespace collapsed.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let selector = Selector::parse(selector).unwrap();
        self.html()
            .select(&selector)
            .map(|e| {
                e.text()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    pub fn text(&self, selector: &str) -> String {
        self.texts(selector).join(" ")
    }

    /// The first sheet of an XLSX download, each cell as a spreadsheet shows it: text, a number,
    /// or a date as `YYYY-MM-DD` (so that a test sees that it is a date, not text).
    pub fn xlsx_rows(&self) -> (String, Vec<Vec<String>>) {
        use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
        assert_eq!(
            self.header("content-type"),
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(self.bytes.clone()))
            .expect("a valid XLSX file");
        let name = book.sheet_names()[0].clone();
        let range = book.worksheet_range(&name).unwrap();
        let rows = range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|cell| match cell {
                        Data::DateTime(d) => d
                            .as_datetime()
                            .unwrap()
                            .date()
                            .format("%Y-%m-%d")
                            .to_string(),
                        Data::Float(f) => format!("{f}"),
                        Data::Int(i) => i.to_string(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        (name, rows)
    }

    /// The attribute `name` of every element matching `selector` that has it.
    pub fn attrs(&self, selector: &str, name: &str) -> Vec<String> {
        let selector = Selector::parse(selector).unwrap();
        self.html()
            .select(&selector)
            .filter_map(|e| e.value().attr(name).map(str::to_owned))
            .collect()
    }

    /// Every link of the page: (its text, whitespace collapsed; its address).
    pub fn links(&self) -> Vec<(String, String)> {
        let selector = Selector::parse("a[href]").unwrap();
        self.html()
            .select(&selector)
            .map(|a| {
                let text = a.text().collect::<String>();
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                (text, a.value().attr("href").unwrap().to_owned())
            })
            .collect()
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// The application on a real socket, for flows that need real cookies and addresses.
/// A listener on a free port of 127.0.0.1, and its public URL.
pub async fn bind() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn start(db: PgPool) -> Self {
        Self::start_with(db, config()).await
    }

    /// The server with `config` (its address and public URL set here).
    pub async fn start_with(db: PgPool, config: Config) -> Self {
        Self::start_on(bind().await, db, config).await
    }

    /// The server on `listener` (see `bind`), for a configuration that needs the address first.
    pub async fn start_on(
        listener: tokio::net::TcpListener,
        db: PgPool,
        mut config: Config,
    ) -> Self {
        let addr = listener.local_addr().unwrap();
        let base_url = format!("http://{addr}");
        config.base_url = base_url.clone();
        config.listen = addr;
        let state = AppState::new(db, config);
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(boussole::serve(listener, state, async {
            let _ = rx.await;
        }));
        Self {
            addr,
            base_url,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// A client that keeps cookies and does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap().unwrap();
        }
    }
}

thread_local! {
    /// Statements counted on this thread while a `count_queries` runs.
    static QUERY_COUNT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Counts the SQL statements sqlx runs while `future` runs (sqlx traces each one under the
/// `sqlx::query` target). A global subscriber counts them per thread: `#[sqlx::test]` runs on a
/// current-thread runtime, so the request's statements all run on the test's thread. (A scoped,
/// thread-local subscriber proved unreliable: tracing caches per-callsite interest globally.)
pub async fn count_queries<F: std::future::Future>(future: F) -> (F::Output, usize) {
    use tracing_subscriber::layer::SubscriberExt;

    struct Counter;
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Counter {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if event.metadata().target() == "sqlx::query" {
                QUERY_COUNT.with(|count| count.set(count.get().map(|n| n + 1)));
            }
        }
    }
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(Counter);
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in tests");
    });
    QUERY_COUNT.with(|count| count.set(Some(0)));
    let output = future.await;
    let count = QUERY_COUNT.with(|count| count.take()).unwrap_or(0);
    (output, count)
}

/// A product created through the form, as a user would; returns its slug.
pub async fn create_product(client: &mut Client, db: &PgPool, name: &str) -> String {
    let direction: uuid::Uuid =
        sqlx::query_scalar("select id from directions order by position limit 1")
            .fetch_one(db)
            .await
            .unwrap();
    let phase: uuid::Uuid = sqlx::query_scalar("select id from phases order by position limit 1")
        .fetch_one(db)
        .await
        .unwrap();
    let page = client
        .post(
            "/produits",
            &[
                ("name", name),
                ("direction_id", &direction.to_string()),
                ("typology", "demarches"),
                ("rgaa", "non"),
                ("phase_id", &phase.to_string()),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "creating {name}: {}",
        page.text("main")
    );
    page.location()
        .unwrap()
        .trim_start_matches("/produits/")
        .to_owned()
}

/// The value attribute of the form field with this id.
pub fn field_value(page: &Page, id: &str) -> Option<String> {
    let html = page.html();
    let selector = Selector::parse(&format!("#{id}")).unwrap();
    let element = html.select(&selector).next()?;
    match element.value().name() {
        "textarea" => Some(element.text().collect()),
        "select" => {
            let option = Selector::parse("option[selected]").unwrap();
            element
                .select(&option)
                .next()
                .and_then(|o| o.value().attr("value").map(str::to_owned))
        }
        _ => element.value().attr("value").map(str::to_owned),
    }
}

/// The fields of the first form matching `selector` as the page renders them: its action and
/// every named input (checked boxes and radios only), select (selected option) and textarea.
pub fn form_fields(page: &Page, selector: &str) -> (String, Vec<(String, String)>) {
    let html = page.html();
    let form = html
        .select(&Selector::parse(selector).unwrap())
        .next()
        .unwrap_or_else(|| panic!("no form {selector} on the page"));
    let action = form.value().attr("action").unwrap_or_default().to_owned();
    let mut fields = Vec::new();
    for element in
        form.select(&Selector::parse("input[name], select[name], textarea[name]").unwrap())
    {
        let name = element.value().attr("name").unwrap().to_owned();
        let value = match element.value().name() {
            "textarea" => element.text().collect(),
            "select" => element
                .select(&Selector::parse("option[selected]").unwrap())
                .next()
                .and_then(|o| o.value().attr("value").map(str::to_owned))
                .unwrap_or_default(),
            _ => {
                let kind = element.value().attr("type").unwrap_or("text");
                if matches!(kind, "checkbox" | "radio") && element.value().attr("checked").is_none()
                {
                    continue;
                }
                if matches!(kind, "submit" | "button" | "file") {
                    continue;
                }
                element.value().attr("value").unwrap_or_default().to_owned()
            }
        };
        fields.push((name, value));
    }
    (action, fields)
}

/// The value that, given to `Client::submit`, unticks a checkbox the page shows ticked (every
/// box of the name; `untick(value)` unticks only the box of that value).
pub const UNTICKED: &str = "\u{0}unticked";

pub fn untick(value: &str) -> String {
    format!("{UNTICKED}:{value}")
}

impl Client {
    /// Submits the form `selector` of `page` as rendered, with `changes` typed into its fields
    /// (a field the form does not have is a test failure: the page and the handler disagree).
    pub async fn submit(&mut self, page: &Page, selector: &str, changes: &[(&str, &str)]) -> Page {
        let (action, mut fields) = form_fields(page, selector);
        let html = page.html();
        let form = html
            .select(&Selector::parse(selector).unwrap())
            .next()
            .unwrap();
        for (name, value) in changes {
            if let Some(only) = value.strip_prefix(UNTICKED) {
                let only = only.strip_prefix(':');
                let before = fields.len();
                fields.retain(|(n, v)| n != name || only.is_some_and(|o| o != v));
                assert!(fields.len() < before, "{selector}: {name} is not ticked");
                continue;
            }
            // One more box of a group of checkboxes: ticking it adds its value.
            let checkbox = Selector::parse(&format!(
                "input[type=checkbox][name=\"{name}\"][value=\"{value}\"]"
            ))
            .unwrap();
            if form.select(&checkbox).next().is_some() {
                if !fields.iter().any(|(n, v)| n == name && v == value) {
                    fields.push(((*name).to_owned(), (*value).to_owned()));
                }
                continue;
            }
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some(field) => field.1 = (*value).to_owned(),
                // A radio group or checkbox not yet checked: choosing it sends it.
                None => {
                    let choice = Selector::parse(&format!("input[name=\"{name}\"]")).unwrap();
                    assert!(
                        form.select(&choice).next().is_some(),
                        "the form {selector} has no field {name}"
                    );
                    fields.push(((*name).to_owned(), (*value).to_owned()));
                }
            }
        }
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if form.value().attr("method") == Some("get") {
            // A search form: its fields become the query string of the page it opens.
            let query = serde_urlencoded(&pairs);
            return self.get(&format!("{action}?{query}")).await;
        }
        self.post(&action, &pairs).await
    }
}

/// Counts the rows written (inserted, updated, deleted) in every table from now on.
pub async fn count_writes(db: &PgPool) {
    sqlx::raw_sql(
        "create table written (n bigint not null);
         insert into written values (0);
         create function count_write() returns trigger language plpgsql as
           $$ begin update written set n = n + 1; return null; end $$;
         do $$ declare t text; begin
           for t in select tablename from pg_tables
                    where schemaname = 'public' and tablename not in ('written', '_sqlx_migrations') loop
             execute format('create trigger count_write after insert or update or delete on %I
                             for each row execute function count_write()', t);
           end loop;
         end $$;",
    )
    .execute(db)
    .await
    .unwrap();
}

pub async fn written(db: &PgPool) -> i64 {
    sqlx::query_scalar("select n from written")
        .fetch_one(db)
        .await
        .unwrap()
}

/// The names of the products of `truth` that `keep` keeps, sorted.
pub fn names_where(
    truth: &[boussole::portfolio::model::Row],
    keep: impl Fn(&boussole::portfolio::model::Row) -> bool,
) -> Vec<String> {
    let mut names: Vec<String> = truth
        .iter()
        .filter(|r| keep(r))
        .map(|r| r.name.to_string())
        .collect();
    names.sort();
    names
}

/// The active products' health computed from the data from scratch (the stored health is
/// refreshed first): the answers the leadership views must give.
pub async fn health_truth(db: &PgPool) -> Vec<boussole::portfolio::model::Row> {
    let today = boussole::web::filters::today();
    let mut conn = db.acquire().await.unwrap();
    boussole::portfolio::health::refresh(&mut conn, None, today)
        .await
        .unwrap();
    boussole::portfolio::health::compute(&mut conn, None, today)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| !r.archived)
        .collect()
}

/// Moves the latest roadmap of the demo's « Aide au Répit » so that it ends this month (the
/// demo has none ending soon).
pub async fn end_a_roadmap_this_month(db: &PgPool) {
    sqlx::raw_sql(
        "update roadmaps set start_month = date_trunc('month', current_date)::date - interval '2 months',
                             end_month = date_trunc('month', current_date)::date
         where id = (select r.id from roadmaps r join products p on p.id = r.product_id
                     where p.slug = 'aide-au-repit' order by r.start_month desc limit 1)",
    )
    .execute(db)
    .await
    .unwrap();
}
