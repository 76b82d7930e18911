//! `boussole demo`: a realistic data set to explore the application with.

use chrono::{Duration, NaiveDate, Utc};
use sqlx::PgPool;

use crate::{
    audit::{self, Action, Entity, FieldChange},
    auth::{
        db,
        model::{self, Role},
    },
    products::{
        self,
        model::{Decision, PhaseChangeInput, ProductInput, Rgaa, Typology},
    },
    vision::{self, model::VisionText},
    web::version::Version,
};

/// The password of every demo account. Demo data only: never load it on a real instance.
pub const DEMO_PASSWORD: &str = "boussole-demo-2026";

/// (email, display name, role)
pub const DEMO_ACCOUNTS: [(&str, &str, Role); 3] = [
    ("admin@demo.boussole.fr", "Alice Martin", Role::Admin),
    ("editeur@demo.boussole.fr", "Marie Dupont", Role::Editor),
    ("lecteur@demo.boussole.fr", "Jean Leroy", Role::Reader),
];

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Loaded,
    AlreadyLoaded,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "the database already holds data that is not the demo's; use --force to add the demo data anyway"
    )]
    NotEmpty,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Loads the demo data into an empty database. Running it again changes nothing; on a database
/// with other data it refuses unless `force`, which adds or resets the demo data in place.
pub async fn load(db: &PgPool, force: bool) -> Result<Outcome, DemoError> {
    let users = db::count_users(db).await?;
    let demo_present = db::find_credentials(db, DEMO_ACCOUNTS[0].0)
        .await?
        .is_some();
    if users > 0 && !force {
        if !demo_present {
            return Err(DemoError::NotEmpty);
        }
        // Demo data from an earlier version may lack what was added since: top it up.
        load_products(db).await?;
        refresh_health(db).await?;
        return Ok(Outcome::AlreadyLoaded);
    }
    let hash = model::hash_password(DEMO_PASSWORD)?;
    let mut tx = db.begin().await?;
    for (email, name, role) in DEMO_ACCOUNTS {
        sqlx::query!(
            "insert into users (email, display_name, role, password_hash) values ($1, $2, $3, $4)
             on conflict (lower(email)) do update
             set display_name = excluded.display_name, role = excluded.role,
                 password_hash = excluded.password_hash, active = true, updated_at = now()",
            email,
            name,
            role.code(),
            hash
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    load_products(db).await?;
    load_api_keys(db).await?;
    refresh_health(db).await?;
    Ok(Outcome::Loaded)
}

/// Two API keys to show the lists: one of a product, one of the portfolio. Their secrets are
/// drawn and forgotten: they open nothing.
async fn load_api_keys(db: &PgPool) -> sqlx::Result<()> {
    let (product, portfolio) = (
        crate::api::keys::new_secret(),
        crate::api::keys::new_secret(),
    );
    sqlx::query!(
        "insert into api_keys (product_id, label, scope, prefix, key_hash, created_by, expires_at)
         select p.id, 'Exemple : Matomo → visites mensuelles', 'mesures', $1::text, $2::bytea, u.id, now() + interval '1 year'
         from products p, users u
         where p.slug = 'aide-au-repit' and lower(u.email) = lower($5)
         union all
         select null, 'Exemple : tableau de bord de la DNUM', 'lecture', $3::text, $4::bytea, u.id, now() + interval '1 year'
         from users u where lower(u.email) = lower($6)",
        product.prefix,
        product.hash,
        portfolio.prefix,
        portfolio.hash,
        DEMO_ACCOUNTS[1].0,
        DEMO_ACCOUNTS[0].0
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Computes every product's health for the dashboard.
async fn refresh_health(db: &PgPool) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    crate::portfolio::health::refresh(&mut tx, None, crate::web::filters::today()).await?;
    tx.commit().await
}

/// Grows the portfolio to `target` products by copying the demo products with everything they
/// hold (vision and its versions, objectives, indicators with targets and measurements,
/// roadmaps with initiatives and risks, people, the RACI matrix), in one transaction of a few
/// set-based statements. Returns how many products were added.
pub async fn grow(db: &PgPool, target: u32) -> Result<u64, DemoError> {
    let (count, originals): (i64, i64) = sqlx::query_as(
        r"select count(*), count(*) filter (where archived_at is null and slug !~ '-c\d+$') from products",
    )
    .fetch_one(db)
    .await?;
    let missing = i64::from(target) - count;
    if missing <= 0 || originals == 0 {
        return Ok(0);
    }
    let copies = (missing + originals - 1) / originals;
    // Both are integers computed here: writing them into the script is safe.
    let script = include_str!("grow.sql")
        .replace("{copies}", &copies.to_string())
        .replace("{missing}", &missing.to_string());
    let mut tx = db.begin().await?;
    for statement in script.split(";\n").filter(|s| !s.trim().is_empty()) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&mut *tx)
            .await?;
    }
    crate::portfolio::health::refresh(&mut tx, None, crate::web::filters::today()).await?;
    tx.commit().await?;
    Ok(missing as u64)
}

/// (name, one-line description, direction, typology, phase, days in the phase, compliance score 0–4)
const DEMO_PRODUCTS: &[(&str, &str, &str, Typology, &str, i64, u8)] = &[
    (
        "Aide au Répit",
        "Trouver une solution de répit près de chez soi pour les proches aidants",
        "Solidarités et cohésion sociale",
        Typology::Demarches,
        "Généralisation",
        210,
        4,
    ),
    (
        "Carnet de Vaccination Pro",
        "Le suivi vaccinal des professionnels de santé",
        "Santé",
        Typology::Dossiers,
        "Construction",
        95,
        3,
    ),
    (
        "Signal Soins",
        "Signaler un événement indésirable grave associé aux soins",
        "Offre de soins",
        Typology::Demarches,
        "Généralisation",
        420,
        4,
    ),
    (
        "Observatoire des Urgences",
        "Les tensions des services d’urgence, jour par jour",
        "Offre de soins",
        Typology::TableauxDeBord,
        "MVP",
        60,
        2,
    ),
    (
        "Carto Santé Mentale",
        "La carte des lieux d’écoute et de soins en santé mentale",
        "Santé",
        Typology::Cartographie,
        "Construction",
        150,
        3,
    ),
    (
        "Code du Travail Facile",
        "Les réponses aux questions sur le droit du travail, en langage clair",
        "Travail et emploi",
        Typology::Contenus,
        "Généralisation",
        730,
        4,
    ),
    (
        "Index Égalité",
        "Le calcul et la déclaration de l’index d’égalité professionnelle",
        "Travail et emploi",
        Typology::Demarches,
        "Généralisation",
        540,
        4,
    ),
    (
        "Dépôt Accords",
        "Le dépôt en ligne des accords collectifs d’entreprise",
        "Travail et emploi",
        Typology::Documents,
        "Construction",
        120,
        2,
    ),
    (
        "Élections Prud’homales",
        "La désignation des conseillers prud’hommes",
        "Travail et emploi",
        Typology::Elections,
        "MVP",
        45,
        1,
    ),
    (
        "Mesure d’Audience",
        "La mesure de l’audience syndicale et patronale",
        "Travail et emploi",
        Typology::Statistiques,
        "Construction",
        300,
        2,
    ),
    (
        "API Établissements",
        "Les données de référence des établissements sanitaires et sociaux",
        "Transverse",
        Typology::DonneesApi,
        "Généralisation",
        380,
        3,
    ),
    (
        "Pilotage Budgétaire DNUM",
        "Le suivi des engagements et des paiements des projets numériques",
        "Transverse",
        Typology::Finances,
        "Construction",
        80,
        1,
    ),
    (
        "GED Inspection",
        "Les documents des missions d’inspection",
        "Transverse",
        Typology::Documents,
        "Idée",
        20,
        0,
    ),
    (
        "Tableau de Bord ESMS",
        "Les indicateurs des établissements médico-sociaux",
        "Solidarités et cohésion sociale",
        Typology::TableauxDeBord,
        "POC",
        35,
        1,
    ),
    (
        "Mon Suivi Handicap",
        "Le suivi de sa demande auprès de la MDPH",
        "Solidarités et cohésion sociale",
        Typology::Dossiers,
        "MVP",
        75,
        2,
    ),
    (
        "Bourse Logement Jeunes",
        "La demande d’aide au logement des jeunes travailleurs",
        "Solidarités et cohésion sociale",
        Typology::Demarches,
        "Idée",
        12,
        0,
    ),
    (
        "Statistiques Pauvreté",
        "Les indicateurs territoriaux de pauvreté",
        "Solidarités et cohésion sociale",
        Typology::Statistiques,
        "Généralisation",
        600,
        3,
    ),
    (
        "Recrutement Médical",
        "Les postes vacants de praticiens hospitaliers",
        "Offre de soins",
        Typology::Dossiers,
        "Construction",
        200,
        2,
    ),
    (
        "Autorisations Sanitaires",
        "L’instruction des autorisations d’activités de soins",
        "Offre de soins",
        Typology::Dossiers,
        "MVP",
        110,
        2,
    ),
    (
        "Veille Épidémiologique",
        "Les signaux épidémiques remontés par les ARS",
        "Santé",
        Typology::TableauxDeBord,
        "Construction",
        180,
        3,
    ),
    (
        "Annuaire Santé Publique",
        "Le répertoire des acteurs de prévention",
        "Santé",
        Typology::DonneesApi,
        "POC",
        50,
        1,
    ),
    (
        "Contrôle Qualité Eau",
        "Les résultats du contrôle sanitaire des eaux",
        "Santé",
        Typology::Cartographie,
        "Généralisation",
        900,
        3,
    ),
    (
        "Déclaration Accidents du Travail",
        "La déclaration en ligne des accidents du travail",
        "Travail et emploi",
        Typology::Demarches,
        "Arrêt",
        40,
        2,
    ),
    (
        "Portail Apprentissage",
        "Les contrats d’apprentissage, de la signature au dépôt",
        "Travail et emploi",
        Typology::Demarches,
        "Construction",
        140,
        3,
    ),
    (
        "Suivi Subventions Associations",
        "L’instruction et le suivi des subventions aux associations",
        "Solidarités et cohésion sociale",
        Typology::Finances,
        "MVP",
        90,
        1,
    ),
    (
        "Archives Numériques",
        "L’archivage électronique des dossiers clos",
        "Transverse",
        Typology::Documents,
        "Construction",
        260,
        2,
    ),
    (
        "Portail Agents",
        "Les informations pratiques des agents des ministères sociaux",
        "Transverse",
        Typology::Contenus,
        "Généralisation",
        1000,
        4,
    ),
    (
        "Base Conventions Collectives",
        "Le texte à jour des conventions collectives",
        "Travail et emploi",
        Typology::Contenus,
        "Arrêt",
        15,
        3,
    ),
    (
        "Carto Offre Médico-Sociale",
        "L’offre d’accueil médico-sociale sur le territoire",
        "Solidarités et cohésion sociale",
        Typology::Cartographie,
        "Idée",
        30,
        0,
    ),
    (
        "Élections Ordinales",
        "Les élections aux ordres des professions de santé",
        "Santé",
        Typology::Elections,
        "POC",
        25,
        1,
    ),
];

/// About thirty plausible products, spread over directions, typologies and phases, each with
/// its phase history and a creation entry in the audit trail. Products already there are kept.
async fn load_products(db: &PgPool) -> Result<(), DemoError> {
    let directions = products::db::directions(db).await?;
    let phases = products::db::phases(db).await?;
    let admin = crate::auth::db::find_credentials(db, DEMO_ACCOUNTS[0].0)
        .await?
        .map(|(user, _)| user)
        .ok_or_else(|| anyhow::anyhow!("the demo administrator is missing"))?;
    let editor = crate::auth::db::find_credentials(db, DEMO_ACCOUNTS[1].0)
        .await?
        .map(|(user, _)| user);
    let today = Utc::now().date_naive();
    for (index, &(name, description, direction, typology, phase, days, score)) in
        DEMO_PRODUCTS.iter().enumerate()
    {
        let slug = products::model::slugify(name);
        if products::db::find_by_slug(db, &slug, None).await?.is_some() {
            continue;
        }
        let direction = directions
            .iter()
            .find(|d| d.name == direction)
            .ok_or_else(|| anyhow::anyhow!("unknown demo direction {direction}"))?;
        let current = phases
            .iter()
            .position(|p| p.name == phase)
            .ok_or_else(|| anyhow::anyhow!("unknown demo phase {phase}"))?;
        let input = ProductInput {
            name: name.into(),
            slug: slug.clone(),
            description: description.into(),
            direction_id: direction.id,
            typology,
            public_url: (score > 1).then(|| format!("https://{slug}.social.gouv.fr")),
            repository_url: (score > 2).then(|| format!("https://github.com/SocialGouv/{slug}")),
            stats_url: (score > 3).then(|| format!("https://{slug}.social.gouv.fr/stats")),
            rgaa: match score {
                4 => Rgaa::Total,
                2 | 3 => Rgaa::Partiel,
                _ => Rgaa::Non,
            },
            dsfr: score >= 1,
            homologated: score >= 3,
            homologation_date: (score >= 3)
                .then(|| today - Duration::days(400 + 17 * index as i64)),
            rgpd_register: score >= 2,
        };
        // The path through the phases so far, skipping the optional ones for every other product.
        let path: Vec<_> = phases[..=current]
            .iter()
            .filter(|p| !p.optional || index % 2 == 0 || p.name == phase)
            .collect();
        let since = today - Duration::days(days);
        let started = since - Duration::days(90 * (path.len() as i64 - 1));
        let mut tx = db.begin().await?;
        let id = products::db::insert(&mut tx, &input, path[0].id, started, admin.id).await?;
        audit::db::record(
            &mut tx,
            &admin,
            id,
            Entity::Product,
            id,
            Action::Create,
            &audit::model::created(&input.fields(&directions)),
        )
        .await?;
        let first = PhaseChangeInput {
            phase_id: path[0].id,
            changed_on: started,
            comment: products::editing::REGISTERED.into(),
            decision: None,
        };
        products::db::record_phase_change(&mut tx, id, None, &first, admin.id).await?;
        for (step, pair) in path.windows(2).enumerate() {
            let on: NaiveDate = if step + 2 == path.len() {
                since
            } else {
                started + Duration::days(90 * (step as i64 + 1))
            };
            let decision = if pair[1].name == "Arrêt" {
                Decision::Stop
            } else {
                Decision::Go
            };
            let change = PhaseChangeInput {
                phase_id: pair[1].id,
                changed_on: on,
                comment: format!("Comité produit : passage en {} validé.", pair[1].name),
                decision: Some(decision),
            };
            products::db::record_phase_change(&mut tx, id, Some(pair[0].id), &change, admin.id)
                .await?;
            let changes = [FieldChange {
                field: "phase".into(),
                label: "Phase".into(),
                before: pair[0].name.clone(),
                after: pair[1].name.clone(),
            }];
            audit::db::record(
                &mut tx,
                &admin,
                id,
                Entity::Product,
                id,
                Action::ChangePhase,
                &changes,
            )
            .await?;
        }
        if let Some(editor) = editor.as_ref().filter(|_| index % 3 == 0) {
            products::db::add_member(&mut tx, id, editor.id).await?;
        }
        let author = editor.as_ref().filter(|_| index % 3 == 0).unwrap_or(&admin);
        demo_vision(&mut tx, id, index, name, description, author, &admin).await?;
        demo_indicators(&mut tx, id, index, typology, author).await?;
        demo_roadmaps(&mut tx, id, index, author).await?;
        demo_roles(&mut tx, id, index).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Two or three versions of a plausible vision: most end complete, some stay partial, some
/// were last touched long ago (so "à revoir"), and one product in seven has none yet.
async fn demo_vision(
    tx: &mut sqlx::PgConnection,
    product_id: uuid::Uuid,
    index: usize,
    name: &str,
    description: &str,
    author: &crate::auth::model::User,
    reviewer: &crate::auth::model::User,
) -> Result<(), DemoError> {
    if index % 7 == 6 {
        return Ok(());
    }
    let purpose = description
        .chars()
        .next()
        .map(|c| c.to_lowercase().collect::<String>() + &description[c.len_utf8()..])
        .unwrap_or_default();
    let full = VisionText {
        statement: format!("{name} permet de {purpose}, simplement, au bon moment et sans démarche inutile."),
        raison_detre: format!("Aujourd’hui, {purpose} reste long et incertain : le produit existe pour que le service public tienne sa promesse."),
        users: "Les usagers concernés et leurs proches, les agents qui instruisent les demandes, les partenaires qui accompagnent.".into(),
        problems: "Informations dispersées, délais de réponse longs, allers-retours entre services et pièces demandées plusieurs fois.".into(),
        solution: "Un service en ligne unique, conçu avec ses utilisateurs, qui réutilise les données déjà connues de l’administration.".into(),
        impact: "Moins de temps perdu pour les usagers, des agents recentrés sur les cas complexes, des données pour piloter la politique publique.".into(),
        alignment: if index.is_multiple_of(3) {
            "Transformation numérique de l’État : 100 % des démarches essentielles en ligne, accessibles et de qualité.".into()
        } else {
            String::new()
        },
    };
    let first = VisionText {
        statement: format!("{name} aide à {purpose}."),
        raison_detre: full.raison_detre.clone(),
        ..Default::default()
    };
    let second = VisionText {
        statement: full.statement.clone(),
        users: full.users.clone(),
        problems: full.problems.clone(),
        ..first.clone()
    };
    let mut versions = vec![first, second];
    if index % 4 != 1 {
        versions.push(full);
    }
    // Saved this many days ago; a quarter of the visions have not been touched for over 6 months.
    let age_days = if index.is_multiple_of(4) { 250 } else { 40 };
    for (n, text) in versions.iter().enumerate() {
        let number = n as i32 + 1;
        let saved_at = Utc::now() - Duration::days(age_days + 30 * (versions.len() - 1 - n) as i64);
        let version = vision::db::save(tx, product_id, Version::new(number - 1), text, author.id)
            .await?
            .unwrap_or(number);
        let new_version = vision::db::NewVersion {
            product_id,
            number: version,
            text,
            contributors: &author.display_name,
            restored_from: None,
            saved_by: author.id,
            saved_by_name: &author.display_name,
        };
        vision::db::insert_version(tx, &new_version).await?;
        sqlx::query!(
            "update vision_versions set saved_at = $3 where product_id = $1 and number = $2",
            product_id,
            version,
            saved_at
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "update visions set edited_at = $2 where product_id = $1",
            product_id,
            saved_at
        )
        .execute(&mut *tx)
        .await?;
    }
    let author_person = crate::roles::db::account_person(tx, product_id, author.id).await?;
    vision::db::set_contributors(tx, product_id, &[author_person]).await?;
    // Some visions were confirmed recently without being edited.
    if index % 5 == 2 {
        vision::db::mark_reviewed(tx, product_id, reviewer.id).await?;
    }
    Ok(())
}

const DEMO_OBJECTIVES: [&str; 4] = [
    "Simplifier la démarche pour les usagers",
    "Réduire les délais de traitement",
    "Faire connaître le service à ceux qui en ont besoin",
    "Garantir un service fiable et disponible",
];

/// A plausible reference value for a unit.
fn demo_baseline(unit: &str) -> f64 {
    match unit {
        "%" => 40.0,
        "note /10" => 6.4,
        "jours" => 30.0,
        "€" => 120_000.0,
        _ => 1_000.0,
    }
}

/// Two or three objectives and three to six indicators from the library, with a year of
/// measurements following one of five scenarios, so that every status shows in the portfolio.
async fn demo_indicators(
    tx: &mut sqlx::PgConnection,
    product_id: uuid::Uuid,
    index: usize,
    typology: Typology,
    author: &crate::auth::model::User,
) -> Result<(), DemoError> {
    use crate::indicators::{
        db as idb, library,
        model::{Point, Trend, expected},
    };
    if index % 9 == 8 {
        return Ok(());
    }
    let mut objectives = Vec::new();
    for title in DEMO_OBJECTIVES.iter().skip(index % 2).take(2 + index % 2) {
        objectives.push(idb::add_objective(tx, product_id, title, "").await?);
    }
    let today = Utc::now().date_naive();
    let templates = library::grouped(typology)
        .into_iter()
        .next()
        .map(|(_, t)| t)
        .unwrap_or_default();
    for (k, template) in templates.iter().take(3 + index % 4).enumerate() {
        let baseline = Point {
            date: today - Duration::days(365),
            value: demo_baseline(template.unit),
        };
        let (range, targets) = match (template.trend, template.range) {
            (Trend::Range, Some(range)) => (Some(range), Vec::new()),
            (Trend::Decrease, _) => (
                None,
                vec![Point {
                    date: today + Duration::days(90),
                    value: (baseline.value * 0.6).round(),
                }],
            ),
            _ => {
                let target = template
                    .suggested_target
                    .unwrap_or(if template.unit == "%" {
                        75.0
                    } else {
                        (baseline.value * 1.5).round()
                    });
                (
                    None,
                    vec![Point {
                        date: today + Duration::days(90),
                        value: target,
                    }],
                )
            }
        };
        let baseline = match range {
            Some((low, high)) => Point {
                value: (low + high) / 2.0,
                ..baseline
            },
            None => baseline,
        };
        let input = idb::IndicatorInput {
            objective_id: objectives.get(k % objectives.len().max(1)).copied(),
            name: template.name.into(),
            kind: template.kind,
            unit: template.unit.into(),
            trend: template.trend,
            range,
            baseline,
            targets: targets.clone(),
            frequency: template.frequency,
            source: template.source,
            owner: author.display_name.clone(),
            description: template.description.into(),
        };
        let indicator_id = idb::insert_indicator(tx, product_id, &input).await?;
        // 0 on track, 1 to watch, 2 late, 3 stale, 4 no data.
        let scenario = (index + k) % 5;
        if scenario == 4 {
            continue;
        }
        let step = template.frequency.days().min(92);
        let stop = if scenario == 3 {
            today - Duration::days(2 * step + 40)
        } else {
            today - Duration::days(3)
        };
        let mut date = baseline.date + Duration::days(step);
        let mut n = 0;
        while date <= stop {
            let value = match (range, targets.first()) {
                (Some((low, high)), _) => {
                    let wobble = ((n % 3) as f64 - 1.0) * (high - low) * 0.1;
                    if scenario == 2 && date > today - Duration::days(40) {
                        low - (high - low)
                    } else {
                        (low + high) / 2.0 + wobble
                    }
                }
                (None, Some(target)) => {
                    let due = expected(baseline.date, target.date, date);
                    let pace = match scenario {
                        0 | 3 => 1.08,
                        1 => 0.75,
                        _ => 0.2,
                    };
                    let wobble = 1.0 + ((n % 4) as f64 - 1.5) * 0.01;
                    baseline.value + (target.value - baseline.value) * due * pace * wobble
                }
                _ => baseline.value,
            };
            let value = (value * 10.0).round() / 10.0;
            idb::upsert_measurement(tx, indicator_id, Point { date, value }, "").await?;
            date += Duration::days(step);
            n += 1;
        }
    }
    Ok(())
}

const DEMO_INITIATIVES: [(&str, crate::roadmaps::model::InitiativeKind); 6] = [
    (
        "Refonte du parcours de demande",
        crate::roadmaps::model::InitiativeKind::Feature,
    ),
    (
        "Test du formulaire simplifié avec 10 usagers",
        crate::roadmaps::model::InitiativeKind::Experiment,
    ),
    (
        "Connexion avec FranceConnect",
        crate::roadmaps::model::InitiativeKind::Feature,
    ),
    (
        "Audit d’accessibilité RGAA",
        crate::roadmaps::model::InitiativeKind::Action,
    ),
    (
        "Tableau de bord pour les agents instructeurs",
        crate::roadmaps::model::InitiativeKind::Feature,
    ),
    (
        "Atelier de co-conception avec les métiers",
        crate::roadmaps::model::InitiativeKind::Action,
    ),
];

/// A past roadmap and a current one (3 or 6 months) with initiatives in every status and a few
/// risks; one product in five has only an ended roadmap, one in seven none at all.
async fn demo_roadmaps(
    tx: &mut sqlx::PgConnection,
    product_id: uuid::Uuid,
    index: usize,
    author: &crate::auth::model::User,
) -> Result<(), DemoError> {
    use crate::roadmaps::{
        db as rdb,
        model::{InitiativeStatus, Level, RiskKind, RiskStatus, Window, first_of_month},
    };
    if index % 7 == 3 {
        return Ok(());
    }
    let today = Utc::now().date_naive();
    let this_month = first_of_month(today);
    let months_ago = |n: u32| {
        this_month
            .checked_sub_months(chrono::Months::new(n))
            .unwrap_or(this_month)
    };
    let past = Window::new(months_ago(9), months_ago(4)).map_err(anyhow::Error::msg)?;
    let past_id = rdb::insert_roadmap(tx, product_id, past, 20, author.id).await?;
    for (n, (title, kind)) in DEMO_INITIATIVES.iter().take(3).enumerate() {
        let start = past.start + Duration::days(30 * n as i64);
        let initiative = rdb::Initiative {
            id: uuid::Uuid::nil(),
            title: (*title).into(),
            description: String::new(),
            kind: *kind,
            status: if n == 2 {
                InitiativeStatus::Dropped
            } else {
                InitiativeStatus::Done
            },
            objective_id: None,
            starts_on: start,
            ends_on: start + Duration::days(45),
            milestone_on: None,
            milestone: String::new(),
        };
        rdb::save_initiative(tx, past_id, None, &initiative).await?;
    }
    if index % 5 == 4 {
        // Only an ended roadmap: the portfolio flags it.
        return Ok(());
    }
    let length = if index.is_multiple_of(2) { 3 } else { 6 };
    let start = months_ago(1);
    let end = start
        .checked_add_months(chrono::Months::new(length - 1))
        .unwrap_or(start);
    let window = Window::new(start, end).map_err(anyhow::Error::msg)?;
    let margin = [20, 15, 30, 0, 25][index % 5];
    let id = rdb::insert_roadmap(tx, product_id, window, margin, author.id).await?;
    let objectives: Vec<uuid::Uuid> = crate::indicators::db::objectives(&mut *tx, product_id)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let priorities: Vec<uuid::Uuid> = objectives.iter().take(2).copied().collect();
    rdb::update_roadmap(tx, id, Version::new(1), window, margin, &priorities)
        .await?
        .map_err(|_| sqlx::Error::RowNotFound)?;
    let statuses = [
        InitiativeStatus::Done,
        InitiativeStatus::InProgress,
        InitiativeStatus::InProgress,
        InitiativeStatus::Planned,
        InitiativeStatus::Planned,
        InitiativeStatus::Dropped,
    ];
    for (n, (title, kind)) in DEMO_INITIATIVES.iter().enumerate().take(4 + index % 3) {
        let starts_on = window.start + Duration::days(20 * n as i64);
        let initiative = rdb::Initiative {
            id: uuid::Uuid::nil(),
            title: (*title).into(),
            description: String::new(),
            kind: *kind,
            status: statuses[n % statuses.len()],
            objective_id: objectives.get(n % objectives.len().max(1)).copied(),
            starts_on,
            ends_on: starts_on + Duration::days(40 + 10 * (n as i64 % 3)),
            milestone_on: (n == 0).then(|| starts_on + Duration::days(40)),
            milestone: if n == 0 {
                "Mise en ligne".into()
            } else {
                String::new()
            },
        };
        rdb::save_initiative(tx, id, None, &initiative).await?;
    }
    let risks = [
        (
            RiskKind::Dependency,
            "Livraison de l’API du système d’information métier",
            Level::Medium,
            Level::High,
            RiskStatus::Open,
        ),
        (
            RiskKind::Risk,
            "Départ du développeur principal en cours de période",
            Level::Low,
            Level::High,
            RiskStatus::Mitigated,
        ),
        (
            RiskKind::Risk,
            "Charge des agents pendant la campagne annuelle",
            Level::High,
            Level::Medium,
            RiskStatus::Open,
        ),
    ];
    for (kind, description, likelihood, impact, status) in risks.iter().take(1 + index % 3) {
        let risk = rdb::Risk {
            id: uuid::Uuid::nil(),
            kind: *kind,
            description: (*description).into(),
            owner: author.display_name.clone(),
            likelihood: *likelihood,
            impact: *impact,
            mitigation: "Point hebdomadaire avec les équipes concernées.".into(),
            status: *status,
        };
        rdb::save_risk(tx, id, None, &risk).await?;
    }
    Ok(())
}

/// (name, organisation, team, role, allocation)
const DEMO_PEOPLE: [(&str, &str, crate::roles::model::Team, &str, i32); 8] = [
    (
        "Claire Fontaine",
        "Direction métier",
        crate::roles::model::Team::Business,
        "Responsable métier",
        70,
    ),
    (
        "Hugo Bernard",
        "DNUM",
        crate::roles::model::Team::Dnum,
        "Responsable produit",
        100,
    ),
    (
        "Société Numérique Ouest",
        "Prestataire",
        crate::roles::model::Team::Contractor,
        "Développeur·se",
        100,
    ),
    (
        "Inès Moreau",
        "DNUM",
        crate::roles::model::Team::Dnum,
        "Designer",
        50,
    ),
    (
        "Karim Haddad",
        "DNUM",
        crate::roles::model::Team::Dnum,
        "Coach produit",
        20,
    ),
    (
        "Lucie Martin",
        "Prestataire",
        crate::roles::model::Team::Contractor,
        "Expert·e accessibilité",
        10,
    ),
    (
        "Sophie Leclerc",
        "Services déconcentrés",
        crate::roles::model::Team::Business,
        "Chargé·e de déploiement",
        50,
    ),
    (
        "Marc Petit",
        "Cabinet",
        crate::roles::model::Team::Other,
        "Directeur de programme",
        5,
    ),
];

/// Four to eight people and a filled RACI matrix: mostly valid, a few showing each problem.
async fn demo_roles(
    tx: &mut sqlx::PgConnection,
    product_id: uuid::Uuid,
    index: usize,
) -> Result<(), DemoError> {
    use crate::roles::{
        db as roles,
        model::{Letter, Team},
    };
    let variant = index % 6;
    let mut people = Vec::new();
    for (n, (name, organisation, team, role, allocation)) in
        DEMO_PEOPLE.iter().take(4 + index % 5).enumerate()
    {
        // Variant 3: nobody from the business side; variant 4: the business owner is stretched thin.
        let team = if variant == 3 && *team == Team::Business {
            Team::Dnum
        } else {
            *team
        };
        let allocation = if variant == 4 && n == 0 {
            40
        } else {
            *allocation
        };
        let person = roles::Person {
            id: uuid::Uuid::nil(),
            name: (*name).into(),
            organisation: (*organisation).into(),
            team,
            role_title: if variant == 3 && n == 0 {
                "Référente fonctionnelle".into()
            } else {
                (*role).into()
            },
            allocation: Some(allocation),
            expectations: "Participe aux rituels et tient ses engagements de la roadmap.".into(),
            email: String::new(),
            user_id: None,
            can_edit: false,
        };
        people.push(roles::save_person(tx, product_id, None, &person).await?);
    }
    let activities = roles::activities(&mut *tx, product_id).await?;
    let mut cells = std::collections::HashMap::new();
    for (k, activity) in activities.iter().enumerate() {
        let accountable = if [0, 4, 7].contains(&k) { 0 } else { 1 };
        let responsible = [1, 1, 3, 2, 0, 2, 4 % people.len(), 1, 2, 3 % people.len()][k % 10];
        let responsible = if responsible == accountable {
            (accountable + 2) % people.len()
        } else {
            responsible
        };
        cells.insert((activity.id, people[accountable]), Letter::A);
        cells.insert((activity.id, people[responsible]), Letter::R);
        let consulted = (responsible + 1) % people.len();
        cells
            .entry((activity.id, people[consulted]))
            .or_insert(Letter::C);
    }
    // Everyone holds at least one letter, except in variant 5.
    if let Some(activity) = activities.last() {
        for person in people.iter().skip(3) {
            cells.entry((activity.id, *person)).or_insert(Letter::I);
        }
    }
    match variant {
        1 => {
            if let Some(activity) = activities.get(5) {
                cells.retain(|(a, _), l| !(*a == activity.id && *l == Letter::A));
            }
        }
        2 => {
            if let Some(activity) = activities.get(3) {
                cells.retain(|(a, _), l| !(*a == activity.id && *l == Letter::A));
                cells.insert((activity.id, people[2]), Letter::A);
            }
        }
        5 => {
            if let Some(last) = people.last() {
                cells.retain(|(_, p), _| p != last);
            }
        }
        _ => {}
    }
    roles::replace_cells(tx, product_id, &cells).await?;
    Ok(())
}
