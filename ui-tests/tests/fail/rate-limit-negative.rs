use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
#[rate_limit(per_second = -5)]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
