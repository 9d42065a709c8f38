use restrait::{api, delete};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[delete("/users/<id>")]
    async fn delete(&self, id: u64);
}

fn main() {}
