// The trait is object-safe: a test can swap the generated client for a hand-written mock.
use std::sync::Arc;

use restrait::{api, get, post, Result};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Clone)]
pub struct User {
    pub id: u64,
}

#[derive(Serialize)]
pub struct NewUser {
    pub name: String,
}

#[api(base = "https://users.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<User>;

    #[post("/users")]
    async fn create(&self, #[body] user: &NewUser) -> Result<User>;
}

struct Mock;

#[restrait::async_trait]
impl Users for Mock {
    async fn user(&self, id: u64) -> Result<User> {
        Ok(User { id })
    }

    async fn create(&self, _user: &NewUser) -> Result<User> {
        Ok(User { id: 1 })
    }
}

fn assert_send<T: Send>(_: &T) {}

fn main() {
    let mock: Arc<dyn Users> = Arc::new(Mock);
    let fut = mock.user(7);
    assert_send(&fut);
    drop(fut);

    fn takes_dyn(_: &dyn Users) {}
    if let Ok(client) = UsersClient::new() {
        takes_dyn(&client);
        assert_send(&client.user(1));
    }
}
