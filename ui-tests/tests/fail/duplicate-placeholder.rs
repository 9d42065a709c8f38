use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>/friends/<id>")]
    async fn friend(&self, id: u64) -> Result<()>;
}

fn main() {}
