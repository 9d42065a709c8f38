use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<user-id>")]
    async fn user(&self, user_id: u64) -> Result<()>;
}

fn main() {}
