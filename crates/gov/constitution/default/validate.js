// Quorate's default constitution, part 2 of 4: `validate`.

// The proposal's action list, or an Error saying why the proposal is malformed.
function proposedActions(input) {
  let proposal;
  try {
    proposal = typeof input === "string" ? JSON.parse(input) : input;
  } catch (e) {
    throw new Error(`the proposal is not valid JSON: ${e.message}`);
  }
  if (typeof proposal !== "object" || proposal === null || !Array.isArray(proposal.actions)) {
    throw new Error('the proposal must be a JSON object with an "actions" array');
  }
  return proposal.actions;
}

function describeFailure(e) {
  return e instanceof Error ? e.message : String(e);
}

// `input` is the proposal as submitted: `{"actions": [{"name": ..., "args": ...}, ...]}`.
// Every action is checked; the description lists each problem, naming the action, its
// position and the argument at fault.
export function validate(input) {
  let list;
  try {
    list = proposedActions(input);
  } catch (e) {
    return { valid: false, description: describeFailure(e) };
  }
  const problems = [];
  list.forEach((action, position) => {
    const name = action !== null && typeof action === "object" ? action.name : undefined;
    if (typeof name !== "string") {
      problems.push(`action at position ${position} has no "name" string`);
      return;
    }
    const definition = actions.get(name);
    if (definition === undefined) {
      problems.push(`${name} at position ${position}: no such action`);
      return;
    }
    try {
      checkActionArgs(definition, action.args);
    } catch (e) {
      problems.push(`${name} at position ${position} failed validation: ${describeFailure(e)}`);
    }
  });
  return { valid: problems.length === 0, description: problems.join("; ") };
}
