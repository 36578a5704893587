"""What the generator knows: the top-100 CLI tools, shell-native actions and their
natural-language phrasings, chains and pipelines, written once per shell syntax.

Templates use `{slot}` placeholders, filled with open-ended values by slots.py (the names it knows:
slots.NAMES; any other `{word}` stays as written). Only the literal words of a template (no slot
inside) are ever mutated, so a correction never has to guess a file or branch name.
"""

from __future__ import annotations

POSIX = ("bash", "zsh", "fish", "tcsh")
WINDOWS = ("powershell", "cmd")

# tool -> (platform, correct templates). "any": same syntax in every shell; "posix": Unix shells only.
# Templates stay single-command; words containing a slot are never mutated.
TOOLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "git": (
        "any",
        (
            "git status",
            "git add {file}",
            "git add .",
            'git commit -m "{msg}"',
            'git commit -am "{msg}"',
            "git push origin {branch}",
            "git pull origin {branch}",
            "git checkout -b {branch}",
            "git checkout {branch}",
            "git switch {branch}",
            "git switch -c {branch}",
            "git merge {branch}",
            "git branch -d {branch}",
            "git log --oneline -n {n}",
            "git diff --staged",
            "git stash",
            "git stash pop",
            "git rebase -i HEAD~{n}",
            "git clone {repo}",
            "git fetch --all",
            "git reset --hard HEAD~{n}",
            "git remote -v",
            "git tag {tag}",
            "git push --tags",
            "git cherry-pick {branch}",
            "git log --graph --oneline",
            "git restore {file}",
            "git blame {file}",
            "git rm --cached {file}",
            "git push --set-upstream origin {branch}",
            "git pull --rebase",
            "git show HEAD",
            "git diff {branch}",
            "git commit --amend --no-edit",
        ),
    ),
    "docker": (
        "any",
        (
            "docker ps",
            "docker ps -a",
            "docker images",
            "docker pull {image}",
            "docker run -it --rm {image}",
            "docker run -d -p {port}:{port} {image}",
            "docker build -t {image} .",
            "docker logs -f {container}",
            "docker exec -it {container} sh",
            "docker stop {container}",
            "docker start {container}",
            "docker rm {container}",
            "docker rmi {image}",
            "docker compose up -d",
            "docker compose down",
            "docker compose logs -f",
            "docker system prune -a",
            "docker inspect {container}",
            "docker volume ls",
            "docker network ls",
            "docker restart {container}",
            "docker push {image}",
        ),
    ),
    "kubectl": (
        "any",
        (
            "kubectl get pods",
            "kubectl get pods -n {ns}",
            "kubectl get svc",
            "kubectl get nodes",
            "kubectl describe pod {pod}",
            "kubectl logs -f {pod}",
            "kubectl logs {pod} -n {ns}",
            "kubectl exec -it {pod} -- sh",
            "kubectl apply -f {file}",
            "kubectl delete pod {pod}",
            "kubectl get deployments",
            "kubectl rollout restart deployment {deploy}",
            "kubectl scale deployment {deploy} --replicas={n}",
            "kubectl port-forward {pod} {port}:{port}",
            "kubectl config get-contexts",
            "kubectl get all -n {ns}",
            "kubectl top pods",
        ),
    ),
    "npm": (
        "any",
        (
            "npm install",
            "npm install {npmpkg}",
            "npm install --save-dev {npmpkg}",
            "npm run {script}",
            "npm test",
            "npm start",
            "npm uninstall {npmpkg}",
            "npm update",
            "npm init -y",
            "npm ci",
            "npm audit fix",
            "npm outdated",
            "npm publish",
            "npm list --depth=0",
            "npm install -g {npmpkg}",
        ),
    ),
    "pip": (
        "any",
        (
            "pip install {pypkg}",
            "pip install -r requirements.txt",
            "pip install --upgrade {pypkg}",
            "pip uninstall {pypkg}",
            "pip freeze",
            "pip list --outdated",
            "pip show {pypkg}",
            "pip install -e .",
            "pip download {pypkg}",
            "pip cache purge",
        ),
    ),
    "cargo": (
        "any",
        (
            "cargo build",
            "cargo build --release",
            "cargo run",
            "cargo test",
            "cargo add {crate}",
            "cargo check",
            "cargo fmt",
            "cargo clippy",
            "cargo new {dir}",
            "cargo install {crate}",
            "cargo update",
            "cargo doc --open",
            "cargo bench",
        ),
    ),
    "apt": (
        "posix",
        (
            "sudo apt update",
            "sudo apt install {aptpkg}",
            "sudo apt upgrade",
            "sudo apt remove {aptpkg}",
            "apt search {aptpkg}",
            "apt show {aptpkg}",
            "sudo apt autoremove",
            "sudo apt install -y {aptpkg}",
            "apt list --installed",
            "sudo apt purge {aptpkg}",
        ),
    ),
    "brew": (
        "posix",
        (
            "brew install {brewpkg}",
            "brew update",
            "brew upgrade",
            "brew uninstall {brewpkg}",
            "brew search {brewpkg}",
            "brew list",
            "brew info {brewpkg}",
            "brew doctor",
            "brew cleanup",
            "brew services start {brewpkg}",
        ),
    ),
    "systemctl": (
        "posix",
        (
            "sudo systemctl restart {svc}",
            "sudo systemctl start {svc}",
            "sudo systemctl stop {svc}",
            "systemctl status {svc}",
            "sudo systemctl enable {svc}",
            "sudo systemctl disable {svc}",
            "sudo systemctl daemon-reload",
            "systemctl list-units --type=service",
            "sudo systemctl reload {svc}",
            "systemctl is-active {svc}",
        ),
    ),
    "journalctl": (
        "posix",
        (
            "journalctl -u {svc} -f",
            "journalctl -xe",
            "journalctl --since today",
            "sudo journalctl --vacuum-time=2d",
            "journalctl -u {svc} -n {n}",
        ),
    ),
    "yarn": (
        "any",
        (
            "yarn install",
            "yarn add {npmpkg}",
            "yarn add --dev {npmpkg}",
            "yarn remove {npmpkg}",
            "yarn build",
            "yarn test",
            "yarn start",
            "yarn upgrade",
        ),
    ),
    "pnpm": (
        "any",
        (
            "pnpm install",
            "pnpm add {npmpkg}",
            "pnpm run {script}",
            "pnpm remove {npmpkg}",
            "pnpm update",
            "pnpm dlx {npmpkg}",
        ),
    ),
    "go": (
        "any",
        (
            "go build ./...",
            "go test ./...",
            "go run .",
            "go mod tidy",
            "go mod init {dir}",
            "go get {crate}",
            "go fmt ./...",
            "go vet ./...",
            "go install ./...",
            "go env GOPATH",
        ),
    ),
    "rustup": (
        "any",
        (
            "rustup update",
            "rustup default stable",
            "rustup target add wasm32-unknown-unknown",
            "rustup component add clippy",
            "rustup toolchain list",
        ),
    ),
    "python": (
        "any",
        (
            "python {file}",
            "python -m venv .venv",
            "python -m pip install {pypkg}",
            "python -m pytest",
            "python -m http.server {port}",
            "python --version",
            "python -m json.tool {file}",
        ),
    ),
    "make": ("any", ("make", "make {target}", "make -j{n}", "make clean", "make install", "make -C {dir}")),
    "cmake": (
        "any",
        ("cmake -S . -B build", "cmake --build build", "cmake --build build --config Release", "cmake --install build"),
    ),
    "gcc": ("posix", ("gcc -o app main.c", "gcc -Wall -O2 -o app main.c", "gcc -c main.c", "gcc -g -o app main.c")),
    "ssh": (
        "any",
        (
            "ssh {user}@{server}",
            "ssh -p {port} {user}@{server}",
            "ssh -i ~/.ssh/id_ed25519 {user}@{server}",
            "ssh-keygen -t ed25519",
            "ssh-copy-id {user}@{server}",
        ),
    ),
    "scp": (
        "any",
        ("scp {file} {user}@{server}:~/", "scp -r {dir} {user}@{server}:/tmp/", "scp {user}@{server}:~/{file} ."),
    ),
    "rsync": (
        "posix",
        (
            "rsync -avz {dir}/ {user}@{server}:~/{dir}/",
            "rsync -av --delete {dir}/ backup/",
            "rsync -avz --progress {file} {user}@{server}:/tmp/",
        ),
    ),
    "curl": (
        "posix",
        (
            "curl -O {url}",
            "curl -L {url}",
            "curl -I {url}",
            "curl -s {url}",
            'curl -X POST -H "Content-Type: application/json" -d @{file} {url}',
            "curl -o {file} {url}",
            "curl -fsSL {url}",
        ),
    ),
    "wget": ("posix", ("wget {url}", "wget -c {url}", "wget -O {file} {url}", "wget -q {url}", "wget -r -np {url}")),
    "tar": (
        "posix",
        (
            "tar -xzf {file}",
            "tar -czf backup.tar.gz {dir}",
            "tar -tf {file}",
            "tar -xvf {file}",
            "tar -xzf {file} -C {dir}",
            "tar -cjf archive.tar.bz2 {dir}",
        ),
    ),
    "zip": ("posix", ("zip -r archive.zip {dir}", "unzip {file}", "unzip -l {file}", "unzip {file} -d {dir}")),
    "grep": (
        "posix",
        (
            'grep -r "{pat}" .',
            'grep -rn "{pat}" {dir}',
            'grep -i "{pat}" {file}',
            'grep -v "{pat}" {file}',
            'grep -c "{pat}" {file}',
            'grep -l "{pat}" *.{ext}',
            'grep -E "{pat}|{pat}" {file}',
            'grep -w "{pat}" {file}',
        ),
    ),
    "find": (
        "posix",
        (
            'find . -name "*.{ext}"',
            'find {dir} -type f -name "*.{ext}"',
            "find . -type d -empty",
            "find . -mtime -{n}",
            "find . -size +{n}M",
            'find . -name "*.{ext}" -delete',
            "find {dir} -type f -newer {file}",
        ),
    ),
    "sed": (
        "posix",
        (
            "sed -i 's/{pat}/fixed/g' {file}",
            "sed -n '1,{n}p' {file}",
            "sed '/^$/d' {file}",
            "sed -i.bak 's/foo/bar/' {file}",
        ),
    ),
    "awk": (
        "posix",
        (
            "awk '{print $1}' {file}",
            "awk -F, '{print $2}' {file}",
            "awk 'NR>1' {file}",
            "awk '{sum+=$1} END {print sum}' {file}",
        ),
    ),
    "chmod": (
        "posix",
        (
            "chmod +x {file}",
            "chmod 644 {file}",
            "chmod -R 755 {dir}",
            "chmod u+x {file}",
            "sudo chmod 600 ~/.ssh/id_rsa",
        ),
    ),
    "chown": ("posix", ("sudo chown -R {user}:{user} {dir}", "sudo chown {user} {file}", "sudo chown -R $USER {dir}")),
    "df": ("posix", ("df -h", "df -i", "df -h /", "df -hT")),
    "du": ("posix", ("du -sh {dir}", "du -sh *", "du -h --max-depth=1", "du -ah {dir}")),
    "free": ("posix", ("free -h", "free -m", "free -g")),
    "ps": ("posix", ("ps aux", "ps -ef", "ps -p {pid}", "ps aux --sort=-%mem", "ps -u {user}")),
    "kill": ("posix", ("kill {pid}", "kill -9 {pid}", "killall {proc}", "pkill -f {proc}", "kill -HUP {pid}")),
    "top": ("posix", ("top", "htop", "top -o %MEM", "top -u {user}")),
    "ping": ("any", ("ping {host}", "ping -c {n} {host}")),
    "ip": ("posix", ("ip addr show", "ip route", "ip link show", "ip a")),
    "ss": ("posix", ("ss -tulpn", "sudo ss -tlnp", "netstat -tulpn", "sudo lsof -i :{port}")),
    "dig": ("posix", ("dig {host}", "dig +short {host}", "nslookup {host}", "host {host}", "traceroute {host}")),
    "helm": (
        "any",
        (
            "helm install {deploy} ./chart",
            "helm upgrade {deploy} ./chart",
            "helm list",
            "helm uninstall {deploy}",
            "helm repo update",
            "helm repo add bitnami https://charts.bitnami.com/bitnami",
            "helm template ./chart",
        ),
    ),
    "terraform": (
        "any",
        (
            "terraform init",
            "terraform plan",
            "terraform apply",
            "terraform apply -auto-approve",
            "terraform destroy",
            "terraform fmt",
            "terraform validate",
            "terraform output",
            "terraform state list",
        ),
    ),
    "ansible": (
        "posix",
        (
            "ansible-playbook site.yml",
            "ansible all -m ping",
            "ansible-playbook -i inventory site.yml",
            "ansible-galaxy install -r requirements.yml",
        ),
    ),
    "aws": (
        "any",
        (
            "aws s3 ls",
            "aws s3 ls s3://{bucket}",
            "aws s3 cp {file} s3://{bucket}/",
            "aws s3 sync {dir} s3://{bucket}",
            "aws configure",
            "aws sts get-caller-identity",
            "aws ec2 describe-instances",
            "aws logs tail /aws/lambda/{deploy} --follow",
        ),
    ),
    "gcloud": (
        "any",
        (
            "gcloud auth login",
            "gcloud config set project {deploy}",
            "gcloud compute instances list",
            "gcloud container clusters list",
            "gcloud app deploy",
        ),
    ),
    "az": (
        "any",
        ("az login", "az account show", "az group list", "az vm list", "az aks get-credentials --name {deploy}"),
    ),
    "java": ("any", ("java -jar app.jar", "java -version", "javac Main.java", "java Main")),
    "mvn": (
        "any",
        ("mvn clean install", "mvn package", "mvn test", "mvn clean package -DskipTests", "mvn dependency:tree"),
    ),
    "gradle": ("any", ("gradle build", "gradle test", "gradle clean build", "gradle tasks", "gradle bootRun")),
    "dotnet": (
        "any",
        (
            "dotnet build",
            "dotnet run",
            "dotnet test",
            "dotnet new console -o {dir}",
            "dotnet add package Newtonsoft.Json",
            "dotnet restore",
            "dotnet publish -c Release",
        ),
    ),
    "gem": (
        "any",
        (
            "gem install {npmpkg}",
            "gem list",
            "gem update",
            "bundle install",
            "bundle exec rake",
            "bundle update",
            "rails server",
            "rails db:migrate",
            "rails generate model User",
        ),
    ),
    "php": (
        "any",
        (
            "php -S localhost:{port}",
            "php artisan serve",
            "php artisan migrate",
            "composer install",
            "composer require {npmpkg}",
            "composer update",
            "php -v",
        ),
    ),
    "conda": (
        "any",
        (
            "conda create -n {dir} python={version}",
            "conda activate {dir}",
            "conda deactivate",
            "conda install {pypkg}",
            "conda env list",
            "conda list",
            "conda remove {pypkg}",
        ),
    ),
    "poetry": (
        "any",
        (
            "poetry install",
            "poetry add {pypkg}",
            "poetry run pytest",
            "poetry shell",
            "poetry lock",
            "poetry build",
            "poetry remove {pypkg}",
        ),
    ),
    "pytest": ("any", ("pytest", "pytest -v", "pytest -x", "pytest -k {script}", "pytest --lf", "pytest -q {dir}")),
    "jq": ("any", ("jq . {file}", "jq '.name' {file}", "jq -r '.[] | .id' {file}", "jq length {file}")),
    "tmux": ("posix", ("tmux", "tmux new -s {dir}", "tmux attach -t {dir}", "tmux ls", "tmux kill-session -t {dir}")),
    "vim": ("any", ("vim {file}", "nano {file}", "code .", "code {file}", "vim +{n} {file}")),
    "gh": (
        "any",
        (
            "gh pr create",
            "gh pr list",
            "gh pr checkout {n}",
            "gh repo clone {repo}",
            "gh issue list",
            "gh auth login",
            "gh run list",
            "gh pr view --web",
            "gh release create {tag}",
        ),
    ),
    "snap": ("posix", ("sudo snap install {brewpkg}", "snap list", "sudo snap refresh", "sudo snap remove {brewpkg}")),
    "dnf": (
        "posix",
        (
            "sudo dnf install {aptpkg}",
            "sudo dnf update",
            "sudo dnf remove {aptpkg}",
            "dnf search {aptpkg}",
            "sudo yum install {aptpkg}",
        ),
    ),
    "pacman": (
        "posix",
        ("sudo pacman -S {aptpkg}", "sudo pacman -Syu", "sudo pacman -R {aptpkg}", "pacman -Q", "pacman -Ss {aptpkg}"),
    ),
    "crontab": ("posix", ("crontab -e", "crontab -l", "crontab -r")),
    "sqlite3": ("any", ("sqlite3 {db}.db", "sqlite3 {db}.db .tables", "sqlite3 {db}.db .schema")),
    "psql": (
        "any",
        (
            "psql -U postgres",
            "psql -h localhost -U {user} -d {db}",
            "psql -d {db} -f schema.sql",
            "pg_dump {db} > {db}.sql",
            "createdb {db}",
        ),
    ),
    "mysql": ("any", ("mysql -u root -p", "mysql -u {user} -p {db}", "mysqldump -u root -p {db} > {db}.sql")),
    "redis-cli": ("any", ("redis-cli", "redis-cli ping", "redis-cli flushall", "redis-cli -h {host} -p {port}")),
    "openssl": (
        "any",
        (
            "openssl version",
            "openssl rand -hex {n}",
            "openssl s_client -connect {host}:443",
            "openssl req -new -x509 -days 365 -nodes -out cert.pem -keyout key.pem",
        ),
    ),
    "gpg": ("any", ("gpg --full-generate-key", "gpg --list-keys", "gpg -d {file}", "gpg -c {file}")),
    "ffmpeg": (
        "any",
        ("ffmpeg -i input.mp4 output.mp3", "ffmpeg -i input.mov -vcodec libx264 output.mp4", "ffprobe input.mp4"),
    ),
    "node": (
        "any",
        ("node {file}", "node --version", "npx {npmpkg}", "npx create-react-app {dir}", 'node -e "console.log(1)"'),
    ),
    "nvm": ("posix", ("nvm install {version}", "nvm use {version}", "nvm ls", "nvm alias default {version}")),
    "deno": ("any", ("deno run {file}", "deno task {script}", "bun install", "bun run {script}", "bun add {npmpkg}")),
    "minikube": (
        "any",
        (
            "minikube start",
            "minikube stop",
            "minikube dashboard",
            "kind create cluster",
            "kind delete cluster",
            "minikube status",
        ),
    ),
    "podman": (
        "any",
        (
            "podman ps",
            "podman run -it --rm {image}",
            "podman build -t {image} .",
            "podman images",
            "podman pull {image}",
        ),
    ),
    "vagrant": ("any", ("vagrant up", "vagrant ssh", "vagrant halt", "vagrant destroy -f", "vagrant status")),
    "nginx": ("posix", ("sudo nginx -t", "sudo nginx -s reload", "nginx -v")),
    "uname": ("posix", ("uname -a", "uname -r", "whoami", "hostname", "uptime", "lsb_release -a")),
    "ln": ("posix", ("ln -s {file} link", "ln -sf {dir} current", "readlink -f {file}")),
    "diff": ("posix", ("diff {file} {file}.bak", "diff -u {file} {file}.orig", "diff -r {dir} backup")),
    "sort": (
        "posix",
        (
            "sort {file}",
            "sort -n {file}",
            "sort -u {file}",
            "sort -k2 {file}",
            "uniq -c {file}",
            "wc -l {file}",
            "head -n {n} {file}",
            "tail -n {n} {file}",
            "tail -f {file}",
        ),
    ),
    "lsof": ("posix", ("lsof -i :{port}", "sudo lsof -i -P -n", "lsof {file}")),
    "watch": ("posix", ("watch -n {n} df -h", "watch -n 1 kubectl get pods", "watch docker ps")),
    "history": ("posix", ("history", "history | tail -n {n}", "clear", "exit")),
    "xdg-open": ("posix", ("xdg-open {file}", "open {file}", "open .")),
    "winget": ("any", ("winget install {brewpkg}", "winget upgrade --all", "winget search {brewpkg}", "winget list")),
    "code": ("any", ("code --install-extension ms-python.python", "code --list-extensions", "code -n {dir}")),
    "wsl": ("any", ("wsl --list --verbose", "wsl --install", "wsl --shutdown", "wsl -d Ubuntu")),
    "choco": ("any", ("choco install {brewpkg}", "choco upgrade all -y", "choco list")),
    "ruff": ("any", ("ruff check .", "ruff format .", "black .", "mypy {dir}", "flake8 {dir}", "isort .")),
    "eslint": ("any", ("npx eslint .", "npx prettier --write .", "npx tsc --noEmit", "npx jest --watch")),
    "hugo": ("any", ("hugo server", "hugo new site {dir}", "jekyll serve", "mkdocs serve", "mkdocs build")),
}

# Tools that print a recognisable error for an unknown subcommand ({bad} is the typed word).
SUBCOMMAND_ERRORS: dict[str, str] = {
    "git": "git: '{bad}' is not a git command. See 'git --help'.",
    "docker": "docker: '{bad}' is not a docker command.\nSee 'docker --help'",
    "kubectl": 'error: unknown command "{bad}" for "kubectl"',
    "npm": 'Unknown command: "{bad}"',
    "pip": 'ERROR: unknown command "{bad}"',
    "cargo": "error: no such command: `{bad}`",
    "go": "go {bad}: unknown command\nRun 'go help' for usage.",
    "helm": 'Error: unknown command "{bad}" for "helm"',
    "brew": "Error: Unknown command: {bad}",
    "apt": "E: Invalid operation {bad}",
    "systemctl": "Unknown command verb {bad}.",
    "terraform": 'Terraform has no command named "{bad}".',
    "gh": 'unknown command "{bad}" for "gh"',
    "yarn": 'error Command "{bad}" not found.',
    "conda": "CommandNotFoundError: No command 'conda {bad}'.",
    "poetry": 'The command "{bad}" does not exist.',
    "dotnet": "Could not execute because the specified command or file was not found.",
}

# Tools that print a recognisable error for an unknown long option ({bad} is the typed flag).
FLAG_ERRORS: dict[str, str] = {
    "git": "error: unknown option `{bare}'",
    "docker": "unknown flag: {bad}",
    "kubectl": "error: unknown flag: {bad}",
    "cargo": "error: unexpected argument '{bad}' found",
    "helm": "Error: unknown flag: {bad}",
    "gh": "unknown flag: {bad}",
    "ls": "ls: unrecognized option '{bad}'",
    "grep": "grep: unrecognized option '{bad}'",
    "rm": "rm: unrecognized option '{bad}'",
    "cp": "cp: unrecognized option '{bad}'",
    "tar": "tar: unrecognized option '{bad}'",
    "pip": "no such option: {bad}",
}

# Short flags whose other case is another real flag of the same command: a case slip there (`git branch -D`,
# `grep -I`, `tail -F`) is a valid, different command, not a mistake. Key: the program, or "program subcommand"
# where the flags are the subcommand's; value: the letters (lower case) that are flags in both cases.
CASE_FLAGS: dict[str, str] = {
    "ansible": "m",  # -m module / -M module path
    "cp": "r",  # -r / -R
    "curl": "dhilosx",  # -d data / -D dump header, -i include / -I head, -o / -O, -s / -S show error, ...
    "df": "h",  # -h / -H powers of 1000
    "diff": "u",  # -u / -U lines
    "docker run": "p",  # -p / -P publish all
    "du": "h",  # -h / -H dereference arguments
    "gcc": "co",  # -c / -C keep comments, -o / -O optimise
    "git branch": "cdm",  # -d / -D force, -m / -M, -c / -C
    "git checkout": "b",  # -b / -B reset
    "git switch": "c",  # -c / -C reset
    "grep": "abcefhilrv",  # -i / -I binary, -l / -L, -r / -R, -e / -E, -c / -C context, -v / -V version, ...
    "jq": "crs",  # -r / -R raw input, -s / -S sort keys, -c / -C colour
    "journalctl": "fnu",  # -f / -F field, -n / -N fields, -u / -U until
    "ln": "s",  # -s / -S suffix
    "ls": "acfhlrst",  # -a / -A, -r / -R, -s / -S, -t / -T, -l / -L, ...
    "lsof": "np",  # -n / -N NFS, -p / -P port numbers
    "mysql": "pu",  # -p / -P port, -u / -U safe updates
    "mysqldump": "p",  # -p / -P port
    "nginx": "tv",  # -t / -T dump config, -v / -V configure options
    "pgrep": "a",  # -a / -A ignore ancestors (procps-ng 4)
    "php": "s",  # -s highlight / -S built-in server
    "pkill": "f",  # -f / -F pidfile
    "ps": "u",  # -u / -U real user
    "psql": "fh",  # -f / -F separator, -h / -H html
    "pytest": "v",  # -v / -V version
    "redis-cli": "p",  # -p / -P pipeline
    "rm": "r",  # -r / -R
    "scp": "pr",  # -p preserve / -P port, -r / -R remote to remote
    "sed": "i",  # -i / -I in place (BSD, macOS)
    "set": "e",  # -e / -E errtrace
    "sort": "cmr",  # -r / -R random, -m / -M month, -c / -C
    "ssh": "ip",  # -i / -I pkcs11, -p / -P tag (OpenSSH 9)
    "ssh-keygen": "t",  # -t / -T test primes
    "tail": "f",  # -f / -F retry
    "tar": "acrtx",  # -c / -C directory, -x / -X exclude file, -t / -T files from, -a / -A, -r / -R
    "top": "ou",  # -o / -O, -u / -U
    "type": "p",  # -p / -P
    "unzip": "dl",  # -d / -D timestamps, -l / -L lower case
    "wc": "l",  # -l / -L longest line
    "wget": "oqr",  # -o log / -O output, -q / -Q quota, -r / -R reject
    "zip": "r",  # -r / -R recurse patterns
}

# Errors printed when a command that needs root runs without sudo.
SUDO_ERRORS: dict[str, str] = {
    "apt": "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)",
    "systemctl": "Failed to {verb} {arg}.service: Access denied",
    "dnf": "Error: This command has to be run with superuser privileges (under the root user on most systems).",
    "yum": "Error: This command has to be run with superuser privileges (under the root user on most systems).",
    "pacman": "error: you cannot perform this operation unless you are root.",
    "snap": "error: access denied (try with sudo)",
    "chown": "chown: changing ownership of '{arg}': Operation not permitted",
    "chmod": "chmod: changing permissions of '{arg}': Operation not permitted",
    "journalctl": "Failed to open journal: Permission denied",
    "ss": None,
    "lsof": None,
    "nginx": (
        'nginx: [alert] could not open error log file: open() "/var/log/nginx/error.log" failed (13: Permission denied)'  # noqa: E501
    ),
}

# Shell-native actions: key -> (per-shell template, natural-language phrasings). A template given for
# "posix" applies to bash, zsh, fish and tcsh unless that shell has its own entry; None means the shell
# has no sensible one-liner for it.
ACTIONS: dict[str, tuple[dict[str, str | None], tuple[str, ...]]] = {
    "list-all": (
        {"posix": "ls -la", "powershell": "Get-ChildItem -Force", "cmd": "dir /a"},
        (
            "list all files including hidden ones",
            "show hidden files too",
            "list everything here with details",
            "show all files in this folder, hidden included",
        ),
    ),
    "list-dir": (
        {"posix": "ls -lh {dir}", "powershell": "Get-ChildItem {dir}", "cmd": "dir {dir}"},
        ("list the files in {dir}", "what is inside the {dir} folder", "show the contents of {dir}"),
    ),
    "list-sorted": (
        {"posix": "ls -lt", "powershell": "Get-ChildItem | Sort-Object LastWriteTime -Descending", "cmd": "dir /o-d"},
        ("list files newest first", "sort files by modification time", "show most recently changed files"),
    ),
    "cd": (
        {"posix": "cd {dir}", "powershell": "Set-Location {dir}", "cmd": "cd {dir}"},
        ("go to the {dir} directory", "change directory to {dir}", "move into {dir}"),
    ),
    "cd-home": (
        {"posix": "cd ~", "powershell": "Set-Location ~", "cmd": "cd %USERPROFILE%"},
        ("go to my home directory", "take me home", "change to the home folder"),
    ),
    "pwd": (
        {"posix": "pwd", "powershell": "Get-Location", "cmd": "cd"},
        ("print the current directory", "where am i", "show the working directory"),
    ),
    "mkdir": (
        {
            "posix": "mkdir -p {dir}/new",
            "powershell": "New-Item -ItemType Directory -Force -Path {dir}\\new",
            "cmd": "mkdir {dir}\\new",
        },
        (
            "create a folder called new inside {dir}",
            "make directory {dir}/new including parents",
            "make a new directory new under {dir}",
        ),
    ),
    "rm-dir": (
        {"posix": "rm -rf {dir}", "powershell": "Remove-Item -Recurse -Force {dir}", "cmd": "rmdir /s /q {dir}"},
        ("delete the {dir} folder and everything in it", "remove directory {dir} recursively", "force delete {dir}"),
    ),
    "rm-file": (
        {"posix": "rm {file}", "powershell": "Remove-Item {file}", "cmd": "del {file}"},
        ("delete {file}", "remove the file {file}", "get rid of {file}"),
    ),
    "copy": (
        {"posix": "cp {file} {dir}/", "powershell": "Copy-Item {file} -Destination {dir}", "cmd": "copy {file} {dir}"},
        ("copy {file} into {dir}", "duplicate {file} to the {dir} folder", "put a copy of {file} in {dir}"),
    ),
    "copy-dir": (
        {
            "posix": "cp -r {dir} backup",
            "powershell": "Copy-Item -Recurse {dir} backup",
            "cmd": "xcopy {dir} backup /e /i",
        },
        ("copy the whole {dir} folder to backup", "recursively copy {dir} into backup"),
    ),
    "move": (
        {"posix": "mv {file} {dir}/", "powershell": "Move-Item {file} {dir}", "cmd": "move {file} {dir}"},
        ("move {file} into {dir}", "put {file} in the {dir} folder"),
    ),
    "rename": (
        {
            "posix": "mv {file} old_{file}",
            "powershell": "Rename-Item {file} old_{file}",
            "cmd": "ren {file} old_{file}",
        },
        ("rename {file} to old_{file}", "change the name of {file} to old_{file}"),
    ),
    "cat": (
        {"posix": "cat {file}", "powershell": "Get-Content {file}", "cmd": "type {file}"},
        ("show the contents of {file}", "print {file}", "display {file} in the terminal", "read {file}"),
    ),
    "head": (
        {"posix": "head -n {n} {file}", "powershell": "Get-Content {file} -TotalCount {n}", "cmd": None},
        ("show the first {n} lines of {file}", "print the top {n} lines of {file}"),
    ),
    "tail": (
        {"posix": "tail -n {n} {file}", "powershell": "Get-Content {file} -Tail {n}", "cmd": None},
        ("show the last {n} lines of {file}", "print the end of {file}, {n} lines"),
    ),
    "follow": (
        {"posix": "tail -f {file}", "powershell": "Get-Content {file} -Wait", "cmd": None},
        ("follow {file} as it grows", "watch {file} for new lines", "stream the log {file}"),
    ),
    "touch": (
        {"posix": "touch {file}", "powershell": "New-Item -ItemType File {file}", "cmd": "type nul > {file}"},
        ("create an empty file named {file}", "make a new empty file {file}"),
    ),
    "search-text": (
        {
            "posix": 'grep -rn "{pat}" .',
            "powershell": 'Get-ChildItem -Recurse | Select-String "{pat}"',
            "cmd": 'findstr /s /n "{pat}" *',
        },
        (
            "search all files for {pat}",
            "find every line containing {pat} in this project",
            "grep recursively for {pat}",
        ),
    ),
    "search-file": (
        {
            "posix": 'grep -i "{pat}" {file}',
            "powershell": 'Select-String -Pattern "{pat}" -Path {file}',
            "cmd": 'findstr /i "{pat}" {file}',
        },
        ("find lines with {pat} in {file}", "search {file} for {pat} ignoring case"),
    ),
    "find-ext": (
        {
            "posix": 'find . -name "*.{ext}"',
            "powershell": "Get-ChildItem -Recurse -Filter *.{ext}",
            "cmd": "dir /s /b *.{ext}",
        },
        ("find all .{ext} files", "list every {ext} file under this folder", "locate files ending in .{ext}"),
    ),
    "which": (
        {
            "posix": "which {proc}",
            "fish": "type -p {proc}",
            "tcsh": "which {proc}",
            "powershell": "Get-Command {proc}",
            "cmd": "where {proc}",
        },
        ("where is {proc} installed", "show the path of the {proc} executable", "which {proc} will run"),
    ),
    "env-set": (
        {
            "bash": "export {var}={val}",
            "zsh": "export {var}={val}",
            "fish": "set -x {var} {val}",
            "tcsh": "setenv {var} {val}",
            "powershell": '$env:{var} = "{val}"',
            "cmd": "set {var}={val}",
        },
        ("set the environment variable {var} to {val}", "export {var} as {val}", "make {var} equal {val}"),
    ),
    "env-get": (
        {"posix": "echo ${var}", "powershell": "echo $env:{var}", "cmd": "echo %{var}%"},
        ("print the value of {var}", "show what {var} is set to", "echo the {var} variable"),
    ),
    "env-unset": (
        {
            "bash": "unset {var}",
            "zsh": "unset {var}",
            "fish": "set -e {var}",
            "tcsh": "unsetenv {var}",
            "powershell": "Remove-Item Env:{var}",
            "cmd": "set {var}=",
        },
        ("unset {var}", "remove the environment variable {var}", "clear {var}"),
    ),
    "path-add": (
        {
            "bash": 'export PATH="$PATH:$HOME/{dir}"',
            "zsh": 'export PATH="$PATH:$HOME/{dir}"',
            "fish": "set -x PATH $PATH $HOME/{dir}",
            "tcsh": 'setenv PATH "${PATH}:${HOME}/{dir}"',
            "powershell": '$env:Path += ";{winpath}"',
            "cmd": "set PATH=%PATH%;{winpath}",
        },
        ("add {dir} in my home to the PATH", "append ~/{dir} to PATH", "put {winpath} on the path"),
    ),
    "env-list": (
        {"posix": "env", "tcsh": "printenv", "powershell": "Get-ChildItem Env:", "cmd": "set"},
        ("list all environment variables", "show my environment", "print every env var"),
    ),
    "home": (
        {"posix": "echo $HOME", "powershell": "echo $env:USERPROFILE", "cmd": "echo %USERPROFILE%"},
        ("print my home directory path", "what is my home folder"),
    ),
    "procs": (
        {"posix": "ps aux", "powershell": "Get-Process", "cmd": "tasklist"},
        ("list running processes", "show all processes", "what programs are running"),
    ),
    "find-proc": (
        {
            "posix": "pgrep -a {proc}",
            "powershell": "Get-Process {proc}",
            "cmd": 'tasklist /fi "imagename eq {proc}.exe"',
        },
        ("is {proc} running", "find the {proc} process", "show processes named {proc}"),
    ),
    "kill-pid": (
        {"posix": "kill -9 {pid}", "powershell": "Stop-Process -Id {pid} -Force", "cmd": "taskkill /pid {pid} /f"},
        ("force kill process {pid}", "kill pid {pid}", "terminate process {pid} immediately"),
    ),
    "kill-name": (
        {"posix": "pkill {proc}", "powershell": "Stop-Process -Name {proc}", "cmd": "taskkill /im {proc}.exe /f"},
        ("kill all {proc} processes", "stop every {proc} process", "shut down {proc}"),
    ),
    "clear": (
        {"posix": "clear", "powershell": "Clear-Host", "cmd": "cls"},
        ("clear the screen", "clean up the terminal", "wipe the console"),
    ),
    "history": (
        {"posix": "history", "powershell": "Get-History", "cmd": "doskey /history"},
        ("show my command history", "list previous commands"),
    ),
    "disk": (
        {
            "posix": "df -h",
            "powershell": "Get-PSDrive -PSProvider FileSystem",
            "cmd": "wmic logicaldisk get size,freespace,caption",
        },
        ("how much disk space is free", "show disk usage per drive", "check free space"),
    ),
    "dir-size": (
        {
            "posix": "du -sh {dir}",
            "powershell": "(Get-ChildItem {dir} -Recurse | Measure-Object Length -Sum).Sum",
            "cmd": "dir /s {dir}",
        },
        ("how big is the {dir} folder", "show the size of {dir}", "total size of {dir}"),
    ),
    "count-lines": (
        {"posix": "wc -l {file}", "powershell": "(Get-Content {file}).Count", "cmd": 'find /c /v "" {file}'},
        ("count the lines in {file}", "how many lines does {file} have"),
    ),
    "download": (
        {
            "posix": "curl -LO {url}",
            "powershell": "Invoke-WebRequest -Uri {url} -OutFile {file}",
            "cmd": "curl -L -o {file} {url}",
        },
        ("download {url}", "fetch {url} and save it", "grab the file at {url}"),
    ),
    "http-get": (
        {"posix": "curl -s {url}", "powershell": "Invoke-RestMethod {url}", "cmd": "curl -s {url}"},
        ("make a get request to {url}", "call {url} and print the response"),
    ),
    "ip": (
        {"posix": "ip addr", "powershell": "Get-NetIPAddress", "cmd": "ipconfig"},
        ("show my ip address", "what is my local ip", "list network interfaces"),
    ),
    "port": (
        {
            "posix": "lsof -i :{port}",
            "powershell": "Get-NetTCPConnection -LocalPort {port}",
            "cmd": "netstat -ano | findstr :{port}",
        },
        ("what is using port {port}", "which process listens on port {port}", "check port {port}"),
    ),
    "ping": (
        {"posix": "ping -c 4 {host}", "powershell": "Test-Connection {host}", "cmd": "ping {host}"},
        ("ping {host}", "check if {host} is reachable", "test the connection to {host}"),
    ),
    "dns": (
        {"posix": "dig +short {host}", "powershell": "Resolve-DnsName {host}", "cmd": "nslookup {host}"},
        ("look up the ip of {host}", "resolve {host}", "dns lookup for {host}"),
    ),
    "whoami": (
        {"posix": "whoami", "powershell": "$env:USERNAME", "cmd": "echo %USERNAME%"},
        ("what user am i", "print my username", "who am i logged in as"),
    ),
    "date": (
        {"posix": "date", "powershell": "Get-Date", "cmd": "echo %date% %time%"},
        ("show the current date and time", "what time is it"),
    ),
    "sleep": (
        {"posix": "sleep {n}", "powershell": "Start-Sleep -Seconds {n}", "cmd": "timeout /t {n}"},
        ("wait {n} seconds", "pause for {n} seconds"),
    ),
    "chmod-x": (
        {"posix": "chmod +x {file}", "powershell": None, "cmd": None},
        ("make {file} executable", "give {file} execute permission"),
    ),
    "source-rc": (
        {
            "bash": "source ~/.bashrc",
            "zsh": "source ~/.zshrc",
            "fish": "source ~/.config/fish/config.fish",
            "tcsh": "source ~/.tcshrc",
            "powershell": ". $PROFILE",
            "cmd": None,
        },
        ("reload my shell config", "re-read my shell startup file", "apply the changes to my rc file"),
    ),
    "alias": (
        {
            "bash": "alias ll='ls -la'",
            "zsh": "alias ll='ls -la'",
            "fish": "alias ll 'ls -la'",
            "tcsh": "alias ll 'ls -la'",
            "powershell": "Set-Alias ll Get-ChildItem",
            "cmd": "doskey ll=dir /a $*",
        },
        ("make an alias ll that lists everything", "create a shortcut ll for a long listing"),
    ),
    "venv": (
        {
            "bash": "source .venv/bin/activate",
            "zsh": "source .venv/bin/activate",
            "fish": "source .venv/bin/activate.fish",
            "tcsh": "source .venv/bin/activate.csh",
            "powershell": ".venv\\Scripts\\Activate.ps1",
            "cmd": ".venv\\Scripts\\activate.bat",
        },
        ("activate the virtualenv in .venv", "enter the .venv virtual environment", "turn on my python venv"),
    ),
    "open": (
        {"posix": "xdg-open {file}", "powershell": "Invoke-Item {file}", "cmd": "start {file}"},
        ("open {file} with the default app", "launch {file}"),
    ),
    "hash": (
        {"posix": "sha256sum {file}", "powershell": "Get-FileHash {file}", "cmd": "certutil -hashfile {file} SHA256"},
        ("compute the sha256 of {file}", "checksum {file}", "hash {file} with sha256"),
    ),
    "zip": (
        {
            "posix": "zip -r {dir}.zip {dir}",
            "powershell": "Compress-Archive -Path {dir} -DestinationPath {dir}.zip",
            "cmd": "tar -a -cf {dir}.zip {dir}",
        },
        ("zip up the {dir} folder", "compress {dir} into a zip", "make {dir}.zip from {dir}"),
    ),
    "unzip": (
        {"posix": "unzip {dir}.zip", "powershell": "Expand-Archive {dir}.zip", "cmd": "tar -xf {dir}.zip"},
        ("extract {dir}.zip", "unzip {dir}.zip here"),
    ),
    "services": (
        {"posix": "systemctl list-units --type=service", "powershell": "Get-Service", "cmd": "sc query"},
        ("list services", "show all system services"),
    ),
    "restart-svc": (
        {
            "posix": "sudo systemctl restart {svc}",
            "powershell": "Restart-Service {svc}",
            "cmd": "net stop {svc} && net start {svc}",
        },
        ("restart the {svc} service", "bounce {svc}"),
    ),
    "echo-file": (
        {"posix": 'echo "{msg}" > {file}', "powershell": 'Set-Content {file} "{msg}"', "cmd": "echo {msg}> {file}"},
        ("write '{msg}' into {file}", "overwrite {file} with the text {msg}"),
    ),
    "append-file": (
        {"posix": 'echo "{msg}" >> {file}', "powershell": 'Add-Content {file} "{msg}"', "cmd": "echo {msg}>> {file}"},
        ("append '{msg}' to {file}", "add the line {msg} at the end of {file}"),
    ),
    "sort-file": (
        {"posix": "sort -u {file}", "powershell": "Get-Content {file} | Sort-Object -Unique", "cmd": "sort {file}"},
        ("sort {file} and drop duplicates", "sort the lines of {file}"),
    ),
    "reboot": (
        {"posix": "sudo reboot", "powershell": "Restart-Computer", "cmd": "shutdown /r /t 0"},
        ("restart the computer", "reboot now"),
    ),
}

# Chains: a list of component keys per template, joined with the shell's operator. Components are
# written per shell like ACTIONS; "any" components are the same everywhere.
CHAINS: tuple[tuple[str, ...], ...] = (
    ("git add .", 'git commit -m "{msg}"'),
    ("git add .", 'git commit -m "{msg}"', "git push"),
    ("git fetch origin", "git rebase origin/{branch}"),
    ("git checkout {branch}", "git pull"),
    ("git stash", "git pull --rebase", "git stash pop"),
    ("git checkout -b {branch}", "git push -u origin {branch}"),
    ("npm install", "npm run {script}"),
    ("npm ci", "npm test"),
    ("yarn install", "yarn build"),
    ("pip install -r requirements.txt", "python -m pytest"),
    ("python -m venv .venv", "@venv"),
    ("docker build -t {image} .", "docker run -d -p {port}:{port} {image}"),
    ("docker compose down", "docker compose up -d --build"),
    ("docker compose pull", "docker compose up -d"),
    ("cargo fmt", "cargo clippy", "cargo test"),
    ("cargo build --release", "cargo run --release"),
    ("go mod tidy", "go build ./..."),
    ("go vet ./...", "go test ./..."),
    ("make", "make test"),
    ("make clean", "make -j{n}"),
    ("cmake -S . -B build", "cmake --build build"),
    ("terraform init", "terraform plan"),
    ("terraform fmt", "terraform validate"),
    ("kubectl apply -f {file}", "kubectl rollout status deployment/{deploy}"),
    ("mvn clean package", "java -jar target/app.jar"),
    ("dotnet restore", "dotnet build"),
    ("@mkdir", "@cd"),
    ("@cd", "git pull"),
    ("@cd", "npm install"),
    ("@cd", "@list-all"),
    ("@touch", "git add {file}"),
    ("@copy", "@cd"),
    ("git clone {repo}", "@cd"),
    ("poetry install", "poetry run pytest"),
    ("@venv", "pip install -r requirements.txt"),
    ("helm repo update", "helm upgrade {deploy} ./chart"),
    ("sudo apt update", "sudo apt install -y {aptpkg}"),
    ("sudo apt update", "sudo apt upgrade -y"),
    ("sudo systemctl daemon-reload", "sudo systemctl restart {svc}"),
    ("./configure", "make", "sudo make install"),
)

# Pipelines per shell family ("posix" for bash/zsh/fish/tcsh).
PIPES: dict[str, tuple[str, ...]] = {
    "posix": (
        "ps aux | grep {proc}",
        'cat {file} | grep "{pat}"',
        'grep "{pat}" {file} | wc -l',
        "history | grep {proc}",
        "du -sh * | sort -h",
        "ls -1 | wc -l",
        "git log --oneline | head -n {n}",
        "docker ps -q | xargs docker stop",
        "kubectl get pods -n {ns} | grep {deploy}",
        "sort {file} | uniq -c | sort -rn | head -n {n}",
        "cut -d: -f1 /etc/passwd | sort",
        'find . -name "*.{ext}" | xargs rm',
        "cat {file} | jq .",
        'tail -f {file} | grep "{pat}"',
        "env | grep {var}",
        "ls -la | grep {file}",
        "netstat -tulpn | grep {port}",
        "dmesg | tail -n {n}",
        "git branch | grep {branch}",
        "ps aux | sort -rk 4 | head -n {n}",
        "curl -s {url} | jq .",
        "curl -fsSL {url} | sh",
        'echo "{msg}" | tee -a {file}',
        "journalctl -u {svc} | tail -n {n}",
        "docker images | grep {image}",
        "pip freeze | grep {pypkg}",
        "npm ls | grep {npmpkg}",
        "find {dir} -type f | wc -l",
        "awk '{print $1}' {file} | sort | uniq -c",
        "ls -t | head -n {n}",
        "grep -rl \"{pat}\" . | xargs sed -i 's/{pat}/fixed/g'",
    ),
    "powershell": (
        "Get-Process | Where-Object {$_.CPU -gt {n}}",
        "Get-ChildItem -Recurse -Filter *.{ext} | Remove-Item",
        'Get-Content {file} | Select-String "{pat}"',
        "Get-Process | Sort-Object CPU -Descending | Select-Object -First {n}",
        "Get-ChildItem | Measure-Object",
        "Get-Service | Where-Object {$_.Status -eq 'Running'}",
        "Get-Content {file} | Measure-Object -Line",
        "Get-ChildItem {dir} | Sort-Object Length -Descending",
        "Get-History | Select-String {proc}",
        "Get-ChildItem Env: | Where-Object Name -like '*{var}*'",
        "Get-Process {proc} | Stop-Process",
        "Get-Content {file} -Tail {n} | Out-File last.txt",
        "git log --oneline | Select-Object -First {n}",
        "docker ps -q | ForEach-Object { docker stop $_ }",
        'Get-ChildItem -Recurse | Select-String "{pat}" | Select-Object -First {n}',
        "Get-Content {file} | Sort-Object -Unique | Set-Content sorted.txt",
        "Import-Csv data.csv | Where-Object {$_.status -eq 'failed'}",
        "Invoke-RestMethod {url} | ConvertTo-Json",
        "pip freeze | Select-String {pypkg}",
        "Get-ChildItem *.{ext} | Rename-Item -NewName {$_.Name + '.bak'}",
    ),
    "cmd": (
        'dir /b | findstr "{pat}"',
        "tasklist | findstr {proc}",
        'type {file} | find /c "{pat}"',
        "netstat -ano | findstr :{port}",
        'dir /s /b *.{ext} | find /c /v ""',
        "set | findstr {var}",
        "type {file} | more",
        'git log --oneline | findstr "{msg}"',
        "docker ps | findstr {image}",
        "pip freeze | findstr {pypkg}",
        "ipconfig | findstr IPv4",
        "type {file} | sort",
        'systeminfo | findstr /c:"OS Name"',
        "sc query | findstr {svc}",
        "dir {dir} | more",
    ),
}

# Commands each Windows shell knows by name; anything else typed there is "not recognized".
CROSS_PLATFORM = frozenset(
    {
        "git",
        "docker",
        "kubectl",
        "npm",
        "npx",
        "pip",
        "cargo",
        "yarn",
        "pnpm",
        "go",
        "rustup",
        "python",
        "make",
        "cmake",
        "ssh",
        "ssh-keygen",
        "scp",
        "ping",
        "helm",
        "terraform",
        "aws",
        "gcloud",
        "az",
        "java",
        "javac",
        "mvn",
        "gradle",
        "dotnet",
        "gem",
        "bundle",
        "rails",
        "php",
        "composer",
        "conda",
        "poetry",
        "pytest",
        "jq",
        "node",
        "deno",
        "bun",
        "minikube",
        "kind",
        "podman",
        "vagrant",
        "code",
        "gh",
        "sqlite3",
        "psql",
        "mysql",
        "redis-cli",
        "openssl",
        "gpg",
        "ffmpeg",
        "ffprobe",
        "winget",
        "wsl",
        "choco",
        "ruff",
        "black",
        "mypy",
        "flake8",
        "isort",
        "hugo",
        "jekyll",
        "mkdocs",
        "vim",
        "nano",
        "curl",
        "tar",
        "pg_dump",
        "createdb",
        "mysqldump",
        "ssh-copy-id",
    }
)
CMD_BUILTINS = frozenset(
    {
        "dir",
        "cd",
        "copy",
        "move",
        "del",
        "ren",
        "type",
        "mkdir",
        "rmdir",
        "set",
        "echo",
        "cls",
        "start",
        "where",
        "tasklist",
        "taskkill",
        "findstr",
        "find",
        "xcopy",
        "ipconfig",
        "netstat",
        "nslookup",
        "sort",
        "more",
        "timeout",
        "shutdown",
        "sc",
        "net",
        "doskey",
        "wmic",
        "certutil",
        "systeminfo",
        "exit",
        "curl",
        "tar",
    }
)
# PowerShell aliases for Unix names: they exist, but reject Unix-style flags with a parameter error.
PS_ALIASES = frozenset(
    {
        "ls",
        "dir",
        "cat",
        "cp",
        "mv",
        "rm",
        "echo",
        "ps",
        "kill",
        "pwd",
        "cd",
        "clear",
        "sort",
        "sleep",
        "tee",
        "mkdir",
        "type",
        "man",
        "diff",
        "rmdir",
        "history",
        "wget",
        "curl",
    }
)
