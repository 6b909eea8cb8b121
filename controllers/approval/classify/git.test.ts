import { describe, expect, it } from '@jest/globals';
import { categories } from './test-support.js';

describe('git: destructive commands', () => {
  it.each([
    'git push --force origin main',
    'git push -f',
    'git push -uf origin main',
    'git push --force-with-lease origin feat',
    'git push --force-with-lease=feat:abc123 origin feat',
    'git push origin +main',
    'git push origin --delete feature',
    'git push origin :feature',
    'git push --mirror backup',
    'git branch -D feature',
    'git branch -d feature',
    'git branch --delete feature',
    'git reset --hard HEAD~1',
    'git clean -fdx',
    'git clean --force',
    'git checkout -- .',
    'git checkout .',
    'git checkout HEAD -- src/a.ts',
    'git checkout -f main',
    'git restore src/a.ts',
    'git restore --staged --worktree src/a.ts',
    'git switch --discard-changes main',
    'git rebase main',
    'git rebase -i HEAD~3',
    'git filter-branch --tree-filter "rm secrets" HEAD',
    'git filter-repo --path secrets --invert-paths',
    'git commit --amend --no-edit',
    'git reflog expire --expire=now --all',
    'git gc --prune=now',
    'git update-ref -d refs/heads/old',
    'git tag -d v1.0',
    'git stash drop',
    'git -c core.pager=cat -C repo reset --hard',
  ])('%j is DestructiveGit', (line) => {
    expect(categories(line)).toContain('DestructiveGit');
  });

  it.each([
    'git commit -m "amend later"',
    'git restore --staged src/a.ts',
    'git rebase --abort',
    'git rebase --continue',
    'git clean -n -fd',
    'git clean -nfd',
    'git branch -a',
    'git reset --soft HEAD~1',
    'git stash list',
    'git tag v1.0',
    'git gc',
  ])('%j is not DestructiveGit', (line) => {
    expect(categories(line)).not.toContain('DestructiveGit');
  });

  it('git push is NetworkAccess but not DestructiveGit', () => {
    expect(categories('git push origin main')).toEqual(['ToolExecution', 'NetworkAccess']);
    expect(categories('git push --force origin main')).toEqual(['ToolExecution', 'NetworkAccess', 'DestructiveGit']);
  });
});
