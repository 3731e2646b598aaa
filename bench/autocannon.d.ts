// autocannon ships no types; the bench uses a small, checked-by-use part of its API.
declare module 'autocannon';
