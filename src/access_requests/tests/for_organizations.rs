//! Requests an organisation admin makes for their organisation: approving one creates the
//! organisation's pool (a subscription), never a license.

use sea_orm::{ActiveModelTrait, Set};

use super::*;
use crate::entities::enums::{QuotaWindow, Role};
use crate::entities::{agent_subscriptions, outbox_events};

/// A team organisation and its admin `lead@acme.test`.
async fn team_and_admin(db: &DatabaseConnection) -> (organizations::Model, users::Model) {
    let id = new_id();
    let team = organizations::ActiveModel {
        id: Set(id.clone()),
        name: Set("Acme Research".into()),
        slug: Set(format!("team-{id}")),
        created_at: Set(Utc::now()),
        personal: Set(false),
    }
    .insert(db)
    .await
    .expect("organisation inserted");
    let lead = fx::user(db, "lead@acme.test", Role::Admin).await;
    let mut moved: users::ActiveModel = lead.into();
    moved.organization_id = Set(team.id.clone());
    (team, moved.update(db).await.expect("the admin moved in"))
}

fn for_the_team(agent: &agent_catalog::Model) -> NewAccessRequest {
    NewAccessRequest {
        for_organization: true,
        ..ask(agent, "Our analysts need it")
    }
}

async fn an_organisation_admin_asks_for_their_team_and_approval_creates_its_pool(db: TestDatabase) {
    let (db, admin, member, agent) = fx::cast(&db).await;
    let (team, lead) = team_and_admin(&db).await;
    let asked = create(&db, &fx::actor(&lead), for_the_team(&agent))
        .await
        .unwrap();
    assert_eq!(asked.organization_id.as_deref(), Some(team.id.as_str()));
    assert_eq!(asked.organization_name.as_deref(), Some("Acme Research"));
    assert_eq!(asked.kind, AccessRequestKind::Access);
    let json = serde_json::to_value(&asked).unwrap();
    assert_eq!(json["organizationId"], team.id.as_str());

    let no_limit = approve(&db, &fx::actor(&admin), &asked.id, Approval::default()).await;
    fx::assert_invalid(&no_limit, "apiCallLimit");
    let approval = Approval {
        api_call_limit: Some(20),
        plan: Some(QuotaPlan {
            window: QuotaWindow::Day,
            ..QuotaPlan::default()
        }),
        member_cap: Some(5),
        ..Default::default()
    };
    let approved = approve(&db, &fx::actor(&admin), &asked.id, approval)
        .await
        .unwrap();
    assert_eq!(approved.request.status, AccessRequestStatus::Approved);
    assert_eq!(approved.license, None, "no license for the admin");
    let pool = approved.subscription.expect("the organisation's pool");
    assert_eq!(
        (pool.organization_id.as_str(), pool.agent_id.as_str()),
        (team.id.as_str(), agent.id.as_str())
    );
    assert_eq!(
        (pool.api_call_limit, pool.window, pool.member_cap),
        (20, QuotaWindow::Day, Some(5))
    );
    assert_eq!(fx::count::<user_agent_licenses::Entity>(&db).await, 0);
    assert_eq!(fx::count::<agent_subscriptions::Entity>(&db).await, 1);
    let approved_event = outbox_events::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .find(|event| event.event_type == EventType::AccessRequestApproved)
        .expect("the approval is told");
    assert_eq!(approved_event.payload["subscriptionId"], pool.id.as_str());

    let again = create(&db, &fx::actor(&lead), for_the_team(&agent)).await;
    assert!(
        matches!(
            again,
            Err(CoreError::Conflict(ConflictReason::AlreadySubscribed))
        ),
        "{again:?}"
    );
    // Members ask for themselves only; a personal organisation has no pool to ask for.
    let by_member = create(&db, &fx::actor(&member), for_the_team(&agent)).await;
    assert!(
        matches!(by_member, Err(CoreError::Forbidden(_))),
        "{by_member:?}"
    );
    let solo = fx::user(&db, "solo@example.com", Role::Admin).await;
    let personal = create(&db, &fx::actor(&solo), for_the_team(&agent)).await;
    assert!(
        matches!(
            personal,
            Err(CoreError::Conflict(ConflictReason::PersonalOrganization))
        ),
        "{personal:?}"
    );
}
crate::on_every_database!(an_organisation_admin_asks_for_their_team_and_approval_creates_its_pool);

async fn approving_a_team_request_after_the_team_was_subscribed_meanwhile_changes_nothing(
    db: TestDatabase,
) {
    let (db, admin, _, agent) = fx::cast(&db).await;
    let (team, lead) = team_and_admin(&db).await;
    let asked = create(&db, &fx::actor(&lead), for_the_team(&agent))
        .await
        .unwrap();
    let direct = crate::subscriptions::NewSubscription {
        organization_id: team.id.clone(),
        agent_id: agent.id.clone(),
        api_call_limit: 5,
        plan: QuotaPlan::default(),
        member_cap: None,
        expires_at: None,
    };
    crate::subscriptions::create(&db, &fx::actor(&admin), direct)
        .await
        .unwrap();
    let result = approve(&db, &fx::actor(&admin), &asked.id, TEN_CALLS).await;
    assert!(
        matches!(
            result,
            Err(CoreError::Conflict(ConflictReason::AlreadySubscribed))
        ),
        "{result:?}"
    );
    assert_eq!(
        get(&db, &asked.id).await.unwrap().status,
        AccessRequestStatus::Pending,
        "the approval rolled back"
    );
}
crate::on_every_database!(
    approving_a_team_request_after_the_team_was_subscribed_meanwhile_changes_nothing
);

async fn a_member_cap_is_refused_when_approving_a_request_for_a_license(db: TestDatabase) {
    let (db, admin, member, agent) = fx::cast(&db).await;
    let asked = create(&db, &fx::actor(&member), ask(&agent, "For me"))
        .await
        .unwrap();
    let capped = Approval {
        member_cap: Some(5),
        ..TEN_CALLS
    };
    let result = approve(&db, &fx::actor(&admin), &asked.id, capped).await;
    fx::assert_invalid(&result, "memberCap");
    assert_eq!(
        get(&db, &asked.id).await.unwrap().status,
        AccessRequestStatus::Pending,
        "nothing was approved"
    );
}
crate::on_every_database!(a_member_cap_is_refused_when_approving_a_request_for_a_license);
