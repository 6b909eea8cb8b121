/**
 * Prints the role matrix of the shipped Cedar policies (every role × resource type × verb, own
 * objects and anyone's) as a markdown table. Usage: node dist/hack/role-matrix.js
 */
import { scheme } from '../resources/index.js';
import { CedarAuthorizer } from '../api/auth/authorizer.js';
import { AuthzModel } from '../api/auth/model.js';
import { matrixTable, roleMatrix } from '../api/auth/role-matrix.js';

const model = new AuthzModel(scheme);
const authz = await CedarAuthorizer.load(model, undefined);
console.log(matrixTable(roleMatrix(authz, model)));
