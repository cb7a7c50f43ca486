// Typings of the op modules' methods: each ops/<module>.d.ts augments the
// Engine class of '../index' (declare module '../index' { interface Engine
// { ... } }). Add one import line per module.
import './diff';
import './tokens';
import './exec';
import './context';
import './symbols';
export {};
