// Copyright stackviz-publish developers.
//
// Licensed under the Apache License, Version 2.0 (the "License"); you may
// not use this file except in compliance with the License. You may obtain
// a copy of the License at
//
//      http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
// WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
// License for the specific language governing permissions and limitations
// under the License.

// The script of bench/classic_standin.html, a STAND-IN for the classic Stackviz
// site's first screen (see that page).
(function () {
  'use strict';
  var root = document.getElementById('root');
  function get(path) {
    return fetch(path).then(function (res) {
      if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
      return res.text();
    }).then(function (text) { return JSON.parse(text); });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fail(msg) {
    window.__standinError = msg;
    root.textContent = msg;
  }
  get('data/config.json').then(function (config) {
    var groups = new Map();
    config.datasets.forEach(function (ds) {
      ds.artifacts.forEach(function (a) {
        if (!groups.has(a.artifact_name)) groups.set(a.artifact_name, []);
        groups.get(a.artifact_name).push(a);
      });
    });
    var focus = null;
    groups.forEach(function (list, name) {
      if (focus === null && list.some(function (a) { return a.primary; })) focus = name;
    });
    if (focus === null) return fail('No artifacts could be loaded!');
    var stats = groups.get(focus).find(function (a) { return a.artifact_type === 'subunit-stats'; });
    if (!stats) return fail('no subunit-stats artifact');
    if (!/\.json$/.test(stats.path)) return fail('the classic site cannot read ' + stats.path);
    return get('data/' + stats.path).then(function (s) {
      var panel = el('div', 'panel');
      panel.appendChild(el('h1', null, focus));
      panel.appendChild(el('p', null, s.count + ' tests, ' + (new Date(s.end) - new Date(s.start)) / 1000 + ' s'));
      if (s.failures && s.failures.length) {
        panel.appendChild(el('h3', null, 'Failures'));
        var list = el('div', 'list-group');
        s.failures.forEach(function (f) {
          var item = el('a', 'list-group-item');
          item.appendChild(el('h4', 'list-group-item-heading', String(f.name).split('.').slice(-2).join('.')));
          (Array.isArray(f.details) ? f.details : []).forEach(function (line) {
            item.appendChild(el('p', 'list-group-item-text', String(line)));
          });
          list.appendChild(item);
        });
        panel.appendChild(list);
      }
      root.textContent = '';
      root.appendChild(panel);
    });
  }).catch(function (e) { fail(String(e && e.message || e)); });
})();
