// Quorate's default constitution, part 4 of 4: `apply`.

// Runs each action of an accepted proposal in order. `proposal` is the proposal as
// submitted (a JSON string); validation already checked every action.
export function apply(proposal, proposalId) {
  const list = proposedActions(proposal);
  for (const action of list) {
    const definition = actions.get(action.name);
    if (definition === undefined) {
      throw new Error(`${action.name}: no such action`);
    }
    definition.apply(action.args, proposalId);
  }
}
