#!/usr/bin/env bash
# Test-signs a driver image with a throw-away self-signed certificate, the
# way Windows test-signing mode accepts (bcdedit /set testsigning on).
#   driver/windows/sign-test.sh IN.sys OUT.sys CERT_DIR
# CERT_DIR receives cert.pem/key.pem (created when absent). Linux/macOS only:
# on Windows use test-signing.ps1, which does the same with New-SelfSignedCertificate
# and signtool.
set -euo pipefail
in="$1" out="$2" dir="$3"
mkdir -p "$dir" "$(dirname "$out")"
if [ ! -f "$dir/cert.pem" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-subj "/CN=SharedMemory throw-away test signing" \
		-addext "extendedKeyUsage=codeSigning" \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
fi
rm -f "$out"
osslsigncode sign -certs "$dir/cert.pem" -key "$dir/key.pem" \
	-n "SharedMemory" -h sha256 -in "$in" -out "$out" >/dev/null
echo "signed $out"
