use restrait::{api, post, Result};

pub struct NewUser {
    pub name: String,
}

#[api(base = "https://api.example.com")]
pub trait Users {
    #[post("/users")]
    async fn create(&self, #[body] user: &NewUser) -> Result<()>;
}

fn main() {}
