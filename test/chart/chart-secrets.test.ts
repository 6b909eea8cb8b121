/**
 * The Secrets the chart generates: a CA and a server certificate for the Service's DNS names, and
 * a token signing key of the chosen algorithm — and that both are looked up, so an upgrade keeps
 * them.
 *
 * What can and cannot be proven without a cluster: helm's `lookup` asks the API server for the
 * live Secret. `helm template` (with or without --is-upgrade) and `--dry-run=client` have no API
 * server, so lookup returns an empty map and every render generates fresh material — a render can
 * never show a kept Secret. Offline, the tests prove (1) each generating template looks up the very
 * Secret it renders (same API version, kind, namespace and name) and (2) writes back that Secret's
 * data, unchanged, when it exists, and (3) that renders do generate fresh, usable material when
 * nothing is found (which is also what `helm template` users get, as the README says). The kept-on-
 * upgrade behaviour itself needs a real cluster (`helm install`, `helm upgrade`, compare the data).
 */
import { describe, expect, it } from '@jest/globals';
import { X509Certificate, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART, FULLNAME, NAMESPACE, REQUIRED_VALUES, only, render, type K8sObject } from './helm-chart.js';

const HELM_TIMEOUT = 120_000;

const decoded = (secret: K8sObject, key: string) => Buffer.from((secret.data as Record<string, string>)[key], 'base64').toString('utf8');

describe('the generated TLS Secret', () => {
  it('holds a certificate for the Service’s DNS names (and extra names), signed by its CA, with its key', () => {
    const secret = only(render({ ...REQUIRED_VALUES, tls: { existingSecret: '', extraDnsNames: ['sidekicks.example.org'], validityDays: 30 } }), 'Secret', `${FULLNAME}-tls`);
    expect(secret.type).toBe('kubernetes.io/tls');
    const cert = new X509Certificate(decoded(secret, 'tls.crt'));
    const ca = new X509Certificate(decoded(secret, 'ca.crt'));
    const names = [FULLNAME, `${FULLNAME}.${NAMESPACE}`, `${FULLNAME}.${NAMESPACE}.svc`, `${FULLNAME}.${NAMESPACE}.svc.cluster.local`, 'sidekicks.example.org'];
    expect(cert.subjectAltName?.split(', ')).toEqual(names.map((n) => `DNS:${n}`));
    for (const name of names) expect(cert.checkHost(name)).toBe(name);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(decoded(secret, 'tls.key')))).toBe(true);
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
  }, HELM_TIMEOUT);
});

describe('the generated signing key', () => {
  it.each([
    ['ed25519', 'ed25519', undefined],
    ['ecdsa', 'ec', 'prime256v1'],
    ['rsa', 'rsa', undefined],
  ])('algorithm %s gives a PEM private key the contract accepts (%s)', (algorithm, type, curve) => {
    const secret = only(render({ ...REQUIRED_VALUES, signingKey: { existingSecret: '', existingSecretKey: 'signing-key.pem', algorithm } }), 'Secret', `${FULLNAME}-signing-key`);
    const key = createPrivateKey(decoded(secret, 'signing-key.pem'));
    expect(key.asymmetricKeyType).toBe(type);
    if (curve) expect(key.asymmetricKeyDetails?.namedCurve).toBe(curve);
    // It signs, and its public half verifies: a usable token key, not just a parsable one.
    const digest = type === 'ed25519' ? null : 'sha256';
    const signature = sign(digest, Buffer.from('token'), key);
    expect(verify(digest, Buffer.from('token'), createPublicKey(key), signature)).toBe(true);
  }, HELM_TIMEOUT);
});

describe('kept on upgrade', () => {
  it.each([
    ['secret-tls.yaml', 'sidekicks.tlsSecretName', ['tls.crt', 'tls.key', 'ca.crt']],
    ['secret-signing-key.yaml', 'sidekicks.signingKeySecretName', ['signing-key.pem']],
  ])('%s looks up the Secret it renders and writes its data back when it exists', (file, nameHelper, keys) => {
    const template = readFileSync(join(CHART, 'templates', file), 'utf8');
    // The name it looks up is the name it renders.
    expect(template).toContain(`{{- $name := include "${nameHelper}" . }}`);
    expect(template).toContain('{{- $existing := lookup "v1" "Secret" .Release.Namespace $name }}');
    expect(template).toMatch(/^kind: Secret\nmetadata:\n {2}name: \{\{ \$name \}\}\n {2}namespace: \{\{ \.Release\.Namespace \}\}$/m);
    // Generation sits in the else branch of "the existing Secret has the data".
    const branch = /\{\{- if and \$existing \(hasKey \(\$existing\.data \| default dict\) "([^"]+)"\) \}\}\n([\s\S]*?)\{\{- else \}\}\n([\s\S]*?)\{\{- end \}\}/.exec(template);
    expect(branch).not.toBeNull();
    const [, probedKey, kept, generated] = branch!;
    expect(keys).toContain(probedKey);
    expect(kept).toMatch(/\$existing\.data/);
    expect(kept).not.toMatch(/gen(PrivateKey|CA|SignedCert)/);
    expect(generated).toMatch(/gen(PrivateKey|CA|SignedCert)/);
    for (const key of keys) expect(template).toMatch(new RegExp(`^ {2}${key.replace('.', '\\.')}: \\{\\{ .*\\$(data|pem)`, 'm'));
  });

  it('without a cluster, every render (--is-upgrade too) generates afresh: what `helm template` users get', () => {
    const material = (extra: string[]) => {
      const objects = render(REQUIRED_VALUES, extra);
      return [decoded(only(objects, 'Secret', `${FULLNAME}-tls`), 'ca.crt'), decoded(only(objects, 'Secret', `${FULLNAME}-signing-key`), 'signing-key.pem')];
    };
    const [caA, keyA] = material([]);
    const [caB, keyB] = material(['--is-upgrade']);
    expect(caB).not.toBe(caA);
    expect(keyB).not.toBe(keyA);
  }, HELM_TIMEOUT);
});
