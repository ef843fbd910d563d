//! The world's teams: the players seated in team organisations, so the routes of a team and
//! its admin have a team to act on, and seated again after a call that moved one.

use abetworks::entities::enums::Role;

use super::{Who, World};

/// The teams of the world: the organisation admin runs `team` (the member is in it), the
/// super admin runs "Matrix HQ"; each has a second admin, so either may leave. Invitations
/// that move a player come from "Matrix elsewhere", whose admin is `host`.
pub struct Teams {
    pub team: String,
    pub(super) host: reqwest::Client,
    /// Where each player sits (user id, organisation, role), to seat them again.
    seats: Vec<(String, String, Role)>,
}

impl Teams {
    /// No teams yet: what the world holds until [`World::seat_teams`] has made them.
    pub(super) fn none() -> Self {
        Self {
            team: String::new(),
            host: crate::common::script_client(),
            seats: Vec::new(),
        }
    }
}

impl World {
    /// Makes the world's teams (through the app's own routes) and seats the players.
    pub(super) async fn seat_teams(&self) -> Teams {
        let app = &self.app;
        let (org_admin, super_admin) =
            (self.admin_of(Who::OrgAdmin), self.admin_of(Who::SuperAdmin));
        let team = app
            .create_team(
                &self.grantor,
                "Matrix team",
                Some(&self.player_id(Who::OrgAdmin)),
            )
            .await;
        let headquarters = app
            .create_team(
                &self.grantor,
                "Matrix HQ",
                Some(&self.player_id(Who::SuperAdmin)),
            )
            .await;
        let invited = app
            .invite(org_admin, &self.member().email, Role::Member)
            .await;
        let accepted = app.accept(&self.member().session, &invited.token).await;
        assert_eq!(accepted.status(), 200, "the member joins the team");
        app.join(org_admin, "team-deputy@example.com", Role::Admin)
            .await;
        app.join(super_admin, "hq-deputy@example.com", Role::Admin)
            .await;
        let (host, host_id) = app.signed_in("host@example.com", Role::Member).await;
        app.create_team(&self.grantor, "Matrix elsewhere", Some(&host_id))
            .await;
        let seat = |who: Who, organization: &str| {
            let role = who.role().expect("a player has a role");
            (self.player_id(who), organization.to_owned(), role)
        };
        let seats = vec![
            seat(Who::Member, &team),
            seat(Who::OrgAdmin, &team),
            seat(Who::SuperAdmin, &headquarters),
        ];
        Teams { team, host, seats }
    }

    fn player_id(&self, who: Who) -> String {
        self.player(who).expect("a player").user_id.clone()
    }

    /// The session of the admin of `who`'s team: the organisation admin's for anyone but the
    /// super admin.
    pub(super) fn admin_of(&self, who: Who) -> &reqwest::Client {
        let admin = if who == Who::SuperAdmin {
            Who::SuperAdmin
        } else {
            Who::OrgAdmin
        };
        &self.player(admin).expect("the admin plays").session
    }

    /// Puts every player back in the organisation and role the world gave them, after a
    /// call that moved one (leaving, accepting an invitation).
    pub(super) async fn seat_again(&self) {
        use abetworks::entities::users;
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        for (user_id, organization_id, role) in &self.teams.seats {
            users::Entity::update_many()
                .col_expr(
                    users::Column::OrganizationId,
                    Expr::value(organization_id.clone()),
                )
                .col_expr(users::Column::Role, Expr::value(*role))
                .filter(users::Column::Id.eq(user_id))
                .exec(&self.app.state.db)
                .await
                .expect("a player is seated again");
        }
    }
}
