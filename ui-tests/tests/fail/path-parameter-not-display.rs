use restrait::{api, get, Result};

pub struct UserId(pub u64);

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: UserId) -> Result<()>;
}

fn main() {}
