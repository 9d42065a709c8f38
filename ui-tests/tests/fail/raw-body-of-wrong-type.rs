use restrait::{api, put, Result};

#[api(base = "https://api.example.com")]
pub trait Files {
    #[put("/files/<name>")]
    async fn upload(&self, name: &str, #[body(raw)] data: u64) -> Result<()>;
}

fn main() {}
