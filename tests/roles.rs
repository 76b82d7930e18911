//! People, the RACI matrix and its validation, conflicts, permissions, dashboard.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use boussole::auth::model::Role;
use common::{Client, TestApp, count_queries, create_product, field_value};
use sqlx::PgPool;
use uuid::Uuid;

async fn person(
    client: &mut Client,
    slug: &str,
    name: &str,
    team: &str,
    role: &str,
    allocation: &str,
) {
    let page = client
        .post(
            &format!("/produits/{slug}/roles/personnes"),
            &[
                ("name", name),
                ("team", team),
                ("role_title", role),
                ("allocation", allocation),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text("main"));
}

async fn ids(db: &PgPool) -> (Vec<Uuid>, Vec<(Uuid, String)>) {
    let activities: Vec<Uuid> =
        sqlx::query_scalar("select id from raci_activities order by position")
            .fetch_all(db)
            .await
            .unwrap();
    let people: Vec<(Uuid, String)> = sqlx::query_as("select id, name from people order by name")
        .fetch_all(db)
        .await
        .unwrap();
    (activities, people)
}

/// Saves the matrix: every activity gets A for `a` and R for `r` (names), except `skip_a`.
async fn fill(
    client: &mut Client,
    db: &PgPool,
    slug: &str,
    a: &str,
    r: &str,
    skip_a: Option<usize>,
) -> common::Page {
    let page = client.get(&format!("/produits/{slug}/roles")).await;
    let html = page.html();
    let version = html
        .select(&scraper::Selector::parse("input[name=version]").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_owned();
    let (activities, people) = ids(db).await;
    let find = |n: &str| people.iter().find(|(_, name)| name == n).unwrap().0;
    let mut fields = vec![("version".to_owned(), version)];
    for (i, activity) in activities.iter().enumerate() {
        if skip_a != Some(i) {
            fields.push((format!("cell-{activity}-{}", find(a)), "A".into()));
        }
        fields.push((format!("cell-{activity}-{}", find(r)), "R".into()));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    client
        .post(&format!("/produits/{slug}/roles/raci"), &refs)
        .await
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn people_are_listed_by_group_and_bad_input_is_explained(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Admin).await;
    let slug = create_product(&mut pm, &app.db, "Répit").await;
    let empty = pm.get(&format!("/produits/{slug}/roles")).await;
    assert!(
        empty
            .text("main")
            .contains("Ajoutez d’abord les personnes du produit")
    );
    assert_eq!(empty.texts(".bsl-matrix tbody tr").len(), 0);

    let bad = pm
        .post(
            &format!("/produits/{slug}/roles/personnes"),
            &[
                ("name", " "),
                ("team", "metier"),
                ("allocation", "150"),
                ("email", "marie"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.text("#name-erreur"), "Saisissez le nom de la personne.");
    assert_eq!(
        bad.text("#allocation-erreur"),
        "Le temps consacré est un pourcentage entier entre 0 et 100."
    );
    assert_eq!(field_value(&bad, "allocation").unwrap(), "150");
    let count: i64 = sqlx::query_scalar("select count(*) from people")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);

    person(
        &mut pm,
        &slug,
        "Claire Fontaine",
        "metier",
        "Responsable métier",
        "70",
    )
    .await;
    person(
        &mut pm,
        &slug,
        "Hugo Bernard",
        "dnum",
        "Responsable produit",
        "100",
    )
    .await;
    person(
        &mut pm,
        &slug,
        "Société X",
        "prestataire",
        "Développeur·se",
        "",
    )
    .await;
    person(&mut pm, &slug, "Marc Petit", "autre", "", "5").await;
    let page = pm.get(&format!("/produits/{slug}/roles")).await;
    let groups = page.texts("section[aria-labelledby=personnes] h3");
    assert_eq!(
        groups,
        [
            "Équipe DNUM (1)",
            "Équipe métier (1)",
            "Prestataire (1)",
            "Autre partie prenante (1)"
        ]
    );
    assert_eq!(
        page.texts(".bsl-matrix tbody tr").len(),
        10,
        "the standard activities"
    );
    assert_eq!(page.texts(".bsl-matrix thead th").len(), 5);
    let sheet = pm.get(&format!("/produits/{slug}")).await;
    let roles = sheet.text("#roles");
    assert!(
        roles.contains("Responsable métier : Claire Fontaine")
            && roles.contains("Responsable produit : Hugo Bernard"),
        "{roles}"
    );
    // Not started yet: said as such, not as 20 errors.
    assert!(roles.contains("Matrice RACI à remplir"), "{roles}");
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn the_matrix_is_validated_in_place_and_errors_clear_when_fixed(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Admin).await;
    let slug = create_product(&mut pm, &app.db, "RACI").await;
    person(
        &mut pm,
        &slug,
        "Claire Fontaine",
        "metier",
        "Responsable métier",
        "40",
    )
    .await;
    person(
        &mut pm,
        &slug,
        "Hugo Bernard",
        "dnum",
        "Responsable produit",
        "100",
    )
    .await;
    person(
        &mut pm,
        &slug,
        "Société X",
        "prestataire",
        "Développeur·se",
        "",
    )
    .await;

    let saved = fill(
        &mut pm,
        &app.db,
        &slug,
        "Hugo Bernard",
        "Claire Fontaine",
        Some(2),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = pm.get(&format!("/produits/{slug}/roles")).await;
    assert_eq!(
        page.text("#raci-etat h3"),
        "RACI non valide : 1 problème(s)"
    );
    let (activities, _) = ids(&app.db).await;
    assert_eq!(
        page.text(&format!("#raci-etat a[href='#activite-{}']", activities[2])),
        "« Mener la conception » n’a pas de A : qui rend compte et décide ?"
    );
    assert!(
        page.text(&format!("#activite-{}", activities[2]))
            .contains("n’a pas de A")
    );
    let warnings = page.text("#raci-alertes");
    assert!(
        warnings.contains("ne consacre que 40 %")
            && warnings.contains("Société X n’a aucune lettre"),
        "{warnings}"
    );

    let fixed = fill(
        &mut pm,
        &app.db,
        &slug,
        "Hugo Bernard",
        "Claire Fontaine",
        None,
    )
    .await;
    assert_eq!(fixed.status, StatusCode::SEE_OTHER);
    let page = pm.get(&format!("/produits/{slug}/roles")).await;
    assert_eq!(
        page.text("#raci-etat"),
        "RACI valide : chaque activité a un seul A et au moins un R."
    );
    assert!(
        pm.get(&format!("/produits/{slug}"))
            .await
            .text("#roles")
            .contains("RACI valide")
    );

    // A letter that is not R, A, C or I, or a cell of another product: refused, nothing saved.
    let (activities, people) = ids(&app.db).await;
    let version = field_value(&page, "version").unwrap_or_else(|| {
        let html = page.html();
        html.select(&scraper::Selector::parse("input[name=version]").unwrap())
            .next()
            .unwrap()
            .value()
            .attr("value")
            .unwrap()
            .to_owned()
    });
    let wrong = pm
        .post(
            &format!("/produits/{slug}/roles/raci"),
            &[
                ("version", &version),
                (&format!("cell-{}-{}", activities[0], people[0].0), "X"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text("[role=alert]")
            .contains("« X » n’est pas une lettre RACI")
    );
    let foreign = pm
        .post(
            &format!("/produits/{slug}/roles/raci"),
            &[
                ("version", &version),
                (&format!("cell-{}-{}", activities[0], Uuid::new_v4()), "R"),
            ],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cells: i64 = sqlx::query_scalar("select count(*) from raci_cells")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(cells, 20, "the valid matrix stands");

    // A stale save: 409 with the comparison, what was chosen kept in the selects.
    let stale = pm
        .post(
            &format!("/produits/{slug}/roles/raci"),
            &[
                ("version", "1"),
                (&format!("cell-{}-{}", activities[0], people[2].0), "C"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale
            .text("[role=alert]")
            .contains("Quelqu’un a enregistré")
    );
    let html = stale.html();
    let selected = html
        .select(
            &scraper::Selector::parse(&format!(
                "#cell-{}-{} option[selected]",
                activities[0], people[2].0
            ))
            .unwrap(),
        )
        .next()
        .unwrap();
    assert_eq!(selected.value().attr("value"), Some("C"));

    let csv = pm.get(&format!("/produits/{slug}/roles/raci.csv")).await;
    assert!(csv.body.starts_with("\u{feff}Activité;Hugo Bernard (Équipe DNUM);Claire Fontaine (Équipe métier);Société X (Prestataire)"));
    assert!(csv.body.contains("Porter la vision;A;R;"), "{}", csv.body);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn activities_are_added_renamed_reordered_and_removed(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Activités").await;
    person(
        &mut pm,
        &slug,
        "Hugo Bernard",
        "dnum",
        "Responsable produit",
        "100",
    )
    .await;
    // The matrix page links to a page of its own for a new activity; its form, as rendered,
    // is what the handler reads.
    let roles = pm.get(&format!("/produits/{slug}/roles")).await;
    let link = roles
        .html()
        .select(&scraper::Selector::parse("a[href$='/roles/activites/nouvelle']").unwrap())
        .next()
        .expect("a link to add an activity")
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let form = pm.get(&link).await;
    let empty = pm.submit(&form, "main form", &[("name", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.text("#name-erreur"), "Nommez l’activité.");
    let added = pm
        .submit(&empty, "main form", &[("name", "Recette fonctionnelle")])
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert!(
        pm.get(&format!("/produits/{slug}/roles"))
            .await
            .texts("#matrice tbody th")
            .iter()
            .any(|t| t.starts_with("Recette fonctionnelle"))
    );
    let (activities, _) = ids(&app.db).await;
    let last = *activities.last().unwrap();
    pm.post(
        &format!("/produits/{slug}/roles/activites/{last}/modifier"),
        &[("name", "Recette")],
    )
    .await;
    pm.post(
        &format!("/produits/{slug}/roles/activites/{last}/monter"),
        &[],
    )
    .await;
    let names = pm
        .get(&format!("/produits/{slug}/roles"))
        .await
        .texts(".bsl-matrix tbody th");
    assert!(
        names[9].starts_with("Recette") && names[10].starts_with("Communication"),
        "{names:?}"
    );
    assert!(
        pm.get(&format!(
            "/produits/{slug}/roles/activites/{last}/supprimer"
        ))
        .await
        .text("main")
        .contains("seront supprimées")
    );
    pm.post(
        &format!("/produits/{slug}/roles/activites/{last}/supprimer"),
        &[],
    )
    .await;
    assert_eq!(
        pm.get(&format!("/produits/{slug}/roles"))
            .await
            .texts(".bsl-matrix tbody tr")
            .len(),
        10
    );
    let actions: Vec<String> =
        sqlx::query_scalar("select action from audit_events where entity = 'activity' order by id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        actions,
        ["activity-save", "activity-save", "activity-delete"]
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn only_members_write_and_the_dashboard_shows_raci_with_constant_queries(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Editor).await;
    let valid = create_product(&mut pm, &app.db, "Valide").await;
    let broken = create_product(&mut pm, &app.db, "Bancal").await;
    create_product(&mut pm, &app.db, "Vide").await;
    for slug in [&valid, &broken] {
        person(
            &mut pm,
            slug,
            "Claire Fontaine",
            "metier",
            "Responsable métier",
            "70",
        )
        .await;
        person(
            &mut pm,
            slug,
            "Hugo Bernard",
            "dnum",
            "Responsable produit",
            "100",
        )
        .await;
    }
    // Fill each product's matrix through its own page (ids are per product).
    for (slug, skip) in [(&valid, None), (&broken, Some(0))] {
        let page = pm.get(&format!("/produits/{slug}/roles")).await;
        let html = page.html();
        let version = html
            .select(&scraper::Selector::parse("input[name=version]").unwrap())
            .next()
            .unwrap()
            .value()
            .attr("value")
            .unwrap()
            .to_owned();
        let mut fields = vec![("version".to_owned(), version)];
        // Hugo realises, Claire decides; the product's creator (also a person) has no letter.
        let people: Vec<(Uuid, String)> = sqlx::query_as(
            "select p.id, p.name from people p join products x on x.id = p.product_id where x.slug = $1",
        )
        .bind(slug)
        .fetch_all(&app.db)
        .await
        .unwrap();
        let id_of = |n: &str| {
            people
                .iter()
                .find(|(_, name)| name == n)
                .unwrap()
                .0
                .to_string()
        };
        let (hugo, claire) = (id_of("Hugo Bernard"), id_of("Claire Fontaine"));
        let mut first_a = true;
        for select in html.select(&scraper::Selector::parse("select.bsl-letter").unwrap()) {
            let name = select.value().attr("name").unwrap().to_owned();
            if name.ends_with(&hugo) {
                fields.push((name, "R".into()));
            } else if name.ends_with(&claire) {
                if !(skip == Some(0) && first_a) {
                    fields.push((name, "A".into()));
                }
                first_a = false;
            }
        }
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pm.post(&format!("/produits/{slug}/roles/raci"), &refs)
                .await
                .status,
            StatusCode::SEE_OTHER
        );
    }
    let dashboard = pm.get("/").await;
    let rows = dashboard.texts("#portefeuille tbody tr");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("Valide") && r.contains("Valide"))
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("Bancal") && r.contains("Sans A : 1 activité sans A")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("Vide") && r.contains("Absente"))
    );
    let filtered = pm
        .get("/?raci=non-valide")
        .await
        .texts("#portefeuille tbody tr th");
    assert_eq!(filtered, ["Bancal", "Vide"]);

    // Each measured once the rows are read (by the view before it) and before that view of
    // the page was kept whole (see web::memo::Rendered).
    pm.get("/").await;
    let (_, few) = count_queries(pm.get("/?tri=raci")).await;
    for i in 0..10 {
        let slug = create_product(&mut pm, &app.db, &format!("Produit {i}")).await;
        person(&mut pm, &slug, "Quelqu’un", "dnum", "", "50").await;
    }
    pm.get("/").await;
    let (_, many) = count_queries(pm.get("/?tri=raci")).await;
    assert_eq!(few, many);

    let pid: Uuid = sqlx::query_scalar("select p.id from people p join products pr on pr.id = p.product_id where pr.slug = $1 limit 1").bind(&valid).fetch_one(&app.db).await.unwrap();
    let aid: Uuid = sqlx::query_scalar("select a.id from raci_activities a join products pr on pr.id = a.product_id where pr.slug = $1 limit 1").bind(&valid).fetch_one(&app.db).await.unwrap();
    for role in [Role::Reader, Role::Editor] {
        let (mut other, _) = app.signed_in(role).await;
        let page = other.get(&format!("/produits/{valid}/roles")).await;
        assert_eq!(page.status, StatusCode::OK, "everyone reads");
        assert!(
            page.texts("select.bsl-letter").is_empty(),
            "read-only matrix"
        );
        for response in [
            other
                .post(
                    &format!("/produits/{valid}/roles/personnes"),
                    &[("name", "X"), ("team", "dnum")],
                )
                .await,
            other
                .post(
                    &format!("/produits/{valid}/roles/personnes/{pid}/modifier"),
                    &[("name", "X"), ("team", "dnum")],
                )
                .await,
            other
                .post(
                    &format!("/produits/{valid}/roles/personnes/{pid}/supprimer"),
                    &[],
                )
                .await,
            other
                .post(
                    &format!("/produits/{valid}/roles/raci"),
                    &[("version", "2")],
                )
                .await,
            other
                .post(
                    &format!("/produits/{valid}/roles/activites"),
                    &[("name", "X")],
                )
                .await,
            other
                .post(
                    &format!("/produits/{valid}/roles/activites/{aid}/supprimer"),
                    &[],
                )
                .await,
        ] {
            assert_eq!(response.status, StatusCode::FORBIDDEN);
        }
    }
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_person_is_edited_linked_to_an_account_and_removed_after_confirmation(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, me) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Équipe").await;
    person(
        &mut pm,
        &slug,
        "Hugo Bernard",
        "dnum",
        "Responsable produit",
        "100",
    )
    .await;
    let (_, people) = ids(&app.db).await;
    let id = people.iter().find(|(_, n)| n == "Hugo Bernard").unwrap().0;
    // The product's people (its creator among them) are suggested as owners of indicators
    // and risks.
    let indicator_form = pm
        .get(&format!("/produits/{slug}/indicateurs/nouveau"))
        .await;
    let html = indicator_form.html();
    let selector = scraper::Selector::parse("#personnes-produit option").unwrap();
    let suggested: Vec<&str> = html
        .select(&selector)
        .filter_map(|o| o.value().attr("value"))
        .collect();
    assert_eq!(suggested, ["Hugo Bernard", me.name.as_str()]);
    let form = pm
        .get(&format!("/produits/{slug}/roles/personnes/{id}/modifier"))
        .await;
    assert_eq!(field_value(&form, "name").unwrap(), "Hugo Bernard");
    let forged = pm
        .post(
            &format!("/produits/{slug}/roles/personnes/{id}/modifier"),
            &[
                ("name", "Hugo Bernard"),
                ("team", "dnum"),
                ("user_id", &Uuid::new_v4().to_string()),
            ],
        )
        .await;
    assert_eq!(
        forged.text("#user_id-erreur"),
        "Choisissez un compte dans la liste, ou aucun."
    );
    // (Not to the creator's account: it is already the product's person « me ».)
    let (_, hugo) = app.signed_in(Role::Reader).await;
    let saved = pm
        .post(
            &format!("/produits/{slug}/roles/personnes/{id}/modifier"),
            &[
                ("name", "Hugo Bernard"),
                ("team", "dnum"),
                ("role_title", "Coach produit"),
                ("allocation", "30"),
                ("user_id", &hugo.id.to_string()),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = pm.get(&format!("/produits/{slug}/roles")).await;
    let line = page.text(&format!("#personne-{id}"));
    assert!(
        line.contains("Coach produit")
            && line.contains("30 %")
            && line.contains(&format!("compte : {}", hugo.name)),
        "{line}"
    );

    assert!(
        pm.get(&format!("/produits/{slug}/roles/personnes/{id}/supprimer"))
            .await
            .text("main")
            .contains("sera retiré·e")
    );
    pm.post(
        &format!("/produits/{slug}/roles/personnes/{id}/supprimer"),
        &[],
    )
    .await;
    assert_eq!(
        pm.get(&format!("/produits/{slug}/roles"))
            .await
            .text("#personnes"),
        "Personnes (1)"
    );
    let actions: Vec<String> =
        sqlx::query_scalar("select action from audit_events where entity = 'person' order by id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(actions, ["person-save", "person-save", "person-delete"]);
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn without_people_the_matrix_guides_and_with_them_a_plus_r_is_valid(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, _) = app.signed_in(Role::Admin).await;
    let slug = create_product(&mut pm, &app.db, "Petite équipe").await;
    let page = pm.get(&format!("/produits/{slug}/roles")).await;
    assert!(
        page.text("#raci-guide")
            .contains("Commencez par les personnes")
    );
    assert!(
        page.texts(".fr-alert--error").is_empty(),
        "{}",
        page.text("main")
    );
    assert!(page.texts(".fr-error-text").is_empty());

    let new = pm
        .get(&format!("/produits/{slug}/roles/personnes/nouvelle"))
        .await;
    let added = pm
        .submit(
            &new,
            "main form",
            &[
                ("name", "Hugo Bernard"),
                ("team", "dnum"),
                ("role_title", "Responsable produit"),
                ("allocation", "100"),
            ],
        )
        .await;
    assert_eq!(
        added.status,
        StatusCode::SEE_OTHER,
        "{}",
        added.text("main")
    );
    // One person who both decides and does every activity: valid.
    let matrix = pm.get(&format!("/produits/{slug}/roles")).await;
    let (_, fields) = common::form_fields(&matrix, "form[action$='/roles/raci']");
    let every: Vec<(String, String)> = fields
        .into_iter()
        .map(|(name, value)| {
            if name == "version" {
                (name, value)
            } else {
                (name, "A+R".to_owned())
            }
        })
        .collect();
    let changes: Vec<(&str, &str)> = every
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let saved = pm
        .submit(&matrix, "form[action$='/roles/raci']", &changes)
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );
    let page = pm.get(&format!("/produits/{slug}/roles")).await;
    assert!(
        page.text("#raci-etat").starts_with("RACI valide"),
        "{}",
        page.text("#raci-etat")
    );
    assert!(
        pm.get(&format!("/produits/{slug}/roles/raci.csv"))
            .await
            .body
            .contains("A+R")
    );
}

#[sqlx::test(migrator = "boussole::MIGRATOR")]
async fn a_person_linked_to_an_editor_account_may_be_allowed_to_edit_the_sheet(db: PgPool) {
    let app = TestApp::new(db);
    let (mut pm, me) = app.signed_in(Role::Editor).await;
    let slug = create_product(&mut pm, &app.db, "Équipe élargie").await;
    // The creator is a person of the product, allowed to edit: membership is one list.
    let roles = pm.get(&format!("/produits/{slug}/roles")).await;
    assert!(roles.text("main").contains(&me.name));
    assert!(roles.text("main").contains("Peut modifier la fiche"));
    let (mut colleague, colleague_user) = app.signed_in(Role::Editor).await;
    let (_, reader_user) = app.signed_in(Role::Reader).await;
    let sheet_edit = format!("/produits/{slug}/modifier");
    assert_eq!(
        colleague.get(&sheet_edit).await.status,
        StatusCode::FORBIDDEN
    );
    let form = pm
        .get(&format!("/produits/{slug}/roles/personnes/nouvelle"))
        .await;
    // Allowed without an account, or with a read-only account: refused by the box.
    for (account, message) in [
        ("", "Reliez d’abord la personne à son compte Boussole"),
        (
            reader_user.id.to_string().as_str(),
            "Ce compte est en lecture seule",
        ),
    ] {
        let refused = pm
            .submit(
                &form,
                "main form",
                &[
                    ("name", "Inès Moreau"),
                    ("team", "metier"),
                    ("user_id", account),
                    ("can_edit", "oui"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.text("#can_edit-erreur").starts_with(message),
            "{}",
            refused.text("main")
        );
        assert_eq!(
            field_value(&refused, "name").as_deref(),
            Some("Inès Moreau")
        );
    }
    let saved = pm
        .submit(
            &form,
            "main form",
            &[
                ("name", "Inès Moreau"),
                ("team", "metier"),
                ("user_id", &colleague_user.id.to_string()),
                ("can_edit", "oui"),
            ],
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text("main")
    );
    assert_eq!(colleague.get(&sheet_edit).await.status, StatusCode::OK);
    // The same account cannot be a second person of the product.
    let twice = pm
        .submit(
            &form,
            "main form",
            &[
                ("name", "Inès M."),
                ("team", "dnum"),
                ("user_id", &colleague_user.id.to_string()),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        twice
            .text("#user_id-erreur")
            .contains("déjà relié à une autre personne")
    );
    // The « who can edit » page lists her; withdrawing the right keeps the person.
    let members = pm.get(&format!("/produits/{slug}/membres")).await;
    assert!(members.text("main").contains("Inès Moreau"));
    let html = members.html();
    let form = html
        .select(&scraper::Selector::parse("form[action$='/membres/retirer']").unwrap())
        .find(|f| f.html().contains(&colleague_user.id.to_string()))
        .expect("a button withdraws her right");
    let field = form
        .select(&scraper::Selector::parse("input[type=hidden]").unwrap())
        .next()
        .unwrap();
    let withdrawn = pm
        .post(
            form.value().attr("action").unwrap(),
            &[(
                field.value().attr("name").unwrap(),
                field.value().attr("value").unwrap(),
            )],
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    assert_eq!(
        colleague.get(&sheet_edit).await.status,
        StatusCode::FORBIDDEN
    );
    let roles = pm.get(&format!("/produits/{slug}/roles")).await;
    assert!(roles.text("main").contains("Inès Moreau"));
    // Given again from the « who can edit » page (the person exists: no second one), then
    // withdrawn by an administrator making her account read-only.
    let members = pm.get(&format!("/produits/{slug}/membres")).await;
    let granted = pm
        .submit(
            &members,
            "form[action$='/membres']",
            &[("user_id", &colleague_user.id.to_string())],
        )
        .await;
    assert_eq!(
        granted.status,
        StatusCode::SEE_OTHER,
        "{}",
        granted.text("main")
    );
    assert_eq!(colleague.get(&sheet_edit).await.status, StatusCode::OK);
    let people: i64 = sqlx::query_scalar("select count(*) from people where user_id = $1")
        .bind(colleague_user.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(people, 1);
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let changed = admin
        .post(
            &format!("/admin/utilisateurs/{}/role", colleague_user.id),
            &[("role", "reader")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let members = pm.get(&format!("/produits/{slug}/membres")).await;
    assert!(
        !members.text("table").contains("Inès"),
        "{}",
        members.text("main")
    );
}
