import { expect, test } from '@jest/globals';
import { smartLabelFor, splitCamelCase } from './labels.js';

test.each([
  ['apiVersion', 'API Version'],
  ['creationTimestamp', 'Creation Timestamp'],
  ['resourceVersion', 'Resource Version'],
  ['uid', 'UID'],
  ['costUSD', 'Cost USD'],
  ['baseURL', 'Base URL'],
  ['repoMount', 'Repo Mount'],
  ['phase', 'Phase'],
  ['kubectl.kubernetes.io/x', 'kubectl.kubernetes.io/x'],
  ['maxTurns2', 'maxTurns2'],
])('smartLabelFor(%s) = %s', (field, label) => expect(smartLabelFor(field)).toBe(label));

test('splitCamelCase keeps acronyms together', () => {
  expect(splitCamelCase('PDFLoader')).toEqual(['PDF', 'Loader']);
  expect(splitCamelCase('GL11Version')).toEqual(['GL', '11', 'Version']);
});
