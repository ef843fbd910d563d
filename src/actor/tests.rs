use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use super::*;
use crate::entities::enums::AccessRequestStatus;
use crate::entities::{logs, user_agent_licenses};
use crate::error_logs::{ErrorKind, NewErrorLog};
use crate::licenses::{EffectiveStatus, GrantLicense, LicenseChange};
use crate::test_fixtures as fx;
use crate::testing::TestDatabase;
use crate::{access_requests, catalog, error_logs, licenses, users};

fn actor(role: Role) -> Actor {
    Actor {
        user_id: "u".into(),
        role,
        organization_id: "org".into(),
        client_ip: None,
        request_id: None,
    }
}

#[test]
fn only_the_super_admin_sees_every_organisation() {
    assert_eq!(actor(Role::SuperAdmin).organization_scope(), None);
    assert_eq!(actor(Role::Admin).organization_scope(), Some("org"));
    assert_eq!(actor(Role::Member).organization_scope(), Some("org"));
}

#[test]
fn members_are_refused_admin_views_and_admins_super_admin_actions() {
    assert!(actor(Role::Member).require_admin().is_err());
    assert!(actor(Role::Admin).require_admin().is_ok());
    assert!(actor(Role::Admin).require_super_admin().is_err());
    assert!(actor(Role::SuperAdmin).require_super_admin().is_ok());
}

/// Rows an admin operation writes: any of them growing means a refusal came too late.
async fn written(db: &DatabaseConnection) -> (u64, u64) {
    (
        logs::Entity::find().count(db).await.unwrap(),
        user_agent_licenses::Entity::find().count(db).await.unwrap(),
    )
}

async fn only_the_super_admin_may_run_admin_operations(db: TestDatabase) {
    let (db, admin, ana, agent) = fx::cast(&db).await;
    let license = fx::license(&db, &admin, &ana, &agent, 10).await;
    let request = access_requests::create(
        &db,
        &fx::actor(&ana),
        access_requests::NewAccessRequest {
            agent_id: fx::agent(&db, "translator", true).await.id,
            reason: "please".into(),
            requested_calls: None,
            for_organization: false,
        },
    )
    .await
    .unwrap();
    let error_id = error_logs::log_error(
        &db,
        NewErrorLog {
            kind: ErrorKind::AgentFailed,
            code: "AGENT_FAILED".into(),
            message: "the agent failed".into(),
            stack_trace: None,
            user_id: None,
            agent_id: None,
            request_id: None,
            context: None,
        },
    )
    .await
    .unwrap();
    let before = written(&db).await;
    let org_admin = fx::user(&db, "org-admin@example.com", Role::Admin).await;
    for refused in [fx::actor(&ana), fx::actor(&org_admin)] {
        let grant = GrantLicense {
            user_id: refused.user_id.clone(),
            agent_id: agent.id.clone(),
            api_call_limit: 10,
            expires_at: None,
            plan: Default::default(),
        };
        let approval = access_requests::Approval {
            api_call_limit: Some(10),
            expires_at: None,
            plan: None,
            top_up_calls: None,
            member_cap: None,
        };
        let top_up = licenses::NewTopUp {
            calls: 5,
            note: "more".into(),
            expires_at: None,
        };
        let descriptor = serde_json::from_value(serde_json::json!({
            "slug": "fresh",
            "name": "Fresh",
        }))
        .unwrap();
        let promote = users::UserChange {
            role: Some(Role::SuperAdmin),
            disabled: None,
        };
        let attempts: Vec<(&str, CoreResult<()>)> = vec![
            (
                "licenses::grant",
                licenses::grant(&db, &refused, grant).await.map(drop),
            ),
            (
                "licenses::update",
                licenses::update(
                    &db,
                    &refused,
                    &license.id,
                    LicenseChange::default(),
                    chrono::Utc::now(),
                )
                .await
                .map(drop),
            ),
            (
                "licenses::top_up",
                licenses::top_up(&db, &refused, &license.id, top_up, chrono::Utc::now())
                    .await
                    .map(drop),
            ),
            (
                "licenses::history",
                licenses::history(&db, &refused, &license.id)
                    .await
                    .map(drop),
            ),
            (
                "licenses::revoke",
                licenses::revoke(&db, &refused, &license.id).await.map(drop),
            ),
            (
                "access_requests::approve",
                access_requests::approve(&db, &refused, &request.id, approval)
                    .await
                    .map(drop),
            ),
            (
                "access_requests::reject",
                access_requests::reject(&db, &refused, &request.id, "no")
                    .await
                    .map(drop),
            ),
            (
                "error_logs::resolve",
                error_logs::resolve(&db, &refused, &error_id, None)
                    .await
                    .map(drop),
            ),
            (
                "catalog::update_agent",
                catalog::update_agent(&db, &refused, &agent.id, Default::default())
                    .await
                    .map(drop),
            ),
            (
                "catalog::create_agent",
                catalog::create_agent(&db, &refused, descriptor)
                    .await
                    .map(drop),
            ),
            (
                "users::change_user",
                users::change_user(&db, &refused, &refused.user_id, promote)
                    .await
                    .map(drop),
            ),
        ];
        for (operation, result) in attempts {
            assert!(
                matches!(result, Err(CoreError::Forbidden(_))),
                "{:?} ran {operation}: {result:?}",
                refused.role
            );
        }
    }
    assert_eq!(written(&db).await, before);
    let license = licenses::get(&db, &license.id).await.unwrap();
    assert_eq!(license.status, EffectiveStatus::Active);
    let request = access_requests::get(&db, &request.id).await.unwrap();
    assert_eq!(request.status, AccessRequestStatus::Pending);
    assert!(!error_logs::get(&db, &error_id).await.unwrap().resolved);
}
crate::on_every_database!(only_the_super_admin_may_run_admin_operations);
