use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
#[rate_limit(per_secnd = 10)]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
