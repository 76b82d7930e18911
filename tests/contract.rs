//! schemathesis (Python, installed by the README's test command) against a live server with a
//! key that reads and pushes measurements: no server error, every answer as the OpenAPI
//! document describes it (status, content type, schema, headers), bad input refused, the key
//! required, and the document's links followed from one operation to the next.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use boussole::api::keys::{self, NewKey, Scope};
use common::TestServer;
use sqlx::PgPool;

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document(db: PgPool) {
    let Some(schemathesis) = std::env::var_os("BOUSSOLE_SCHEMATHESIS") else {
        panic!(
            "BOUSSOLE_SCHEMATHESIS is not set: run `make test` (which installs schemathesis), or set it to a schemathesis executable"
        );
    };
    boussole::demo::load(&db, false).await.unwrap();
    // The key of one demo product, as its editor would create it on the product's page.
    let secret = keys::new_secret();
    let (product, editor): (uuid::Uuid, uuid::Uuid) = sqlx::query_as(
        "select p.id, u.id from products p, users u where p.slug = 'aide-au-repit' and u.role = 'admin' limit 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let mut tx = db.begin().await.unwrap();
    keys::create(
        &mut tx,
        &NewKey {
            product_id: Some(product),
            label: "schemathesis",
            scope: Scope::Measurements,
            secret: &secret,
            created_by: editor,
            expires_at: chrono::Utc::now() + chrono::Duration::days(1),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut config = common::config();
    config.api_rate_limit = 1_000_000;
    let server = TestServer::start_with(db.clone(), config).await;
    let (url, header) = (
        server.url("/api/v1/openapi.json"),
        format!("Authorization: Bearer {}", secret.key),
    );
    // Blocking, on the blocking pool: the test's runtime keeps serving meanwhile.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(schemathesis)
            // Its cache of crashes, out of the repository.
            .current_dir(std::env::temp_dir())
            .arg("run")
            .arg(url)
            .args(["--header", &header])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection,ignored_auth",
            ])
            .args(["--max-examples", "40", "--seed", "20261204", "--no-color"])
            .output()
    })
    .await
    .unwrap()
    .expect("schemathesis runs");
    server.stop().await;
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "schemathesis failed:\n{report}");
    // The stateful phase followed every link of the document (a product's indicators, then
    // its measurements).
    let links = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("API Links:"))
        .unwrap_or_else(|| panic!("no stateful phase in the report:\n{report}"));
    let numbers: Vec<u32> = links
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    // The document's own links (schemathesis adds links it infers, from `Location` headers).
    let declared: u32 = boussole::api::document()["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|operation| operation["responses"]["200"]["links"].as_object())
        .map(|links| links.len() as u32)
        .sum();
    assert!(declared >= 9, "{declared} links in the document");
    assert!(
        !numbers.is_empty() && numbers[0] >= declared,
        "links followed: {links}, {declared} declared"
    );
    println!("{report}");
}

/// The OpenAPI document validates against the OpenAPI 3.1 specification.
#[test]
fn the_openapi_document_is_valid_openapi_3_1() {
    let Some(validator) = std::env::var_os("BOUSSOLE_OPENAPI_VALIDATOR") else {
        panic!(
            "BOUSSOLE_OPENAPI_VALIDATOR is not set: run `make test` (which installs openapi-spec-validator), or set it to its executable"
        );
    };
    let document = boussole::api::document();
    assert_eq!(document["openapi"], "3.1.0");
    let path = std::env::temp_dir().join(format!("boussole-openapi-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_vec_pretty(&document).unwrap()).unwrap();
    let output = std::process::Command::new(validator)
        .arg(&path)
        .output()
        .expect("openapi-spec-validator runs");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
