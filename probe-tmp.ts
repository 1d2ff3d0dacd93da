import '@tensorflow/tfjs';
import { selectBackend, tf } from './models/backend.ts';
const be = await selectBackend({ prefer: (process.env.BE as any) ?? 'wasm' });
const x = tf.randomUniform([1,64,64,192]) as tf.Tensor4D;
function head(c1:number,c2:number,c3:number) {
  const w1 = tf.randomNormal([1,1,192,c1]) as tf.Tensor4D, w2 = tf.randomNormal([3,3,c1,c2]) as tf.Tensor4D, w3 = tf.randomNormal([3,3,c2,c3]) as tf.Tensor4D, w4 = tf.randomNormal([1,1,c3,1]) as tf.Tensor4D;
  return (t: tf.Tensor4D) => tf.tidy(() => tf.conv2d(tf.relu(tf.conv2d(tf.relu(tf.conv2d(tf.relu(tf.conv2d(t,w1,1,'same')),w2,1,'same')),w3,1,'same')),w4,1,'same'));
}
for (const [a,b,c] of [] as number[][]) {
  const h = head(a,b,c); for (let i=0;i<3;i++) { const y=h(x); await y.data(); y.dispose(); }
  const t0=performance.now(); for (let i=0;i<10;i++){ const y=h(x); await y.data(); y.dispose(); }
  console.log(be,'head',a,b,c, ((performance.now()-t0)/10).toFixed(1),'ms');
}
// training step via matMul formulation on B crops 32x32
const B=16, H=32;
const xs = tf.randomUniform([B,H,H,192]);
const W1 = tf.variable(tf.randomNormal([192,48],0,0.05)), W2 = tf.variable(tf.randomNormal([9*48,48],0,0.05)), W3=tf.variable(tf.randomNormal([9*48,32],0,0.05)), W4=tf.variable(tf.randomNormal([32,1],0,0.05));
function im2col(t: tf.Tensor4D): tf.Tensor2D { const [n,h,w,c]=t.shape; const p = tf.pad(t,[[0,0],[1,1],[1,1],[0,0]]); const parts=[]; for (let dy=0;dy<3;dy++) for (let dx=0;dx<3;dx++) parts.push(tf.slice(p,[0,dy,dx,0],[n,h,w,c])); return tf.reshape(tf.concat(parts,3),[n*h*w,9*c]); }
const opt = tf.train.adam(1e-3);
const target = tf.randomUniform([B*H*H,1]);
const step = () => opt.minimize(() => { const f = tf.reshape(xs,[B*H*H,192]); let h1 = tf.relu(tf.matMul(f,W1)); let h2 = tf.relu(tf.matMul(im2col(tf.reshape(h1,[B,H,H,48]) as tf.Tensor4D),W2)); let h3 = tf.relu(tf.matMul(im2col(tf.reshape(h2,[B,H,H,48]) as tf.Tensor4D),W3)); const y = tf.matMul(h3,W4); return tf.mean(tf.square(tf.sub(y,target))) as tf.Scalar; }, true);
for (let i=0;i<2;i++) { const l = step(); await l!.data(); l!.dispose(); }
const t0=performance.now(); for (let i=0;i<5;i++){ const l=step(); await l!.data(); l!.dispose(); }
console.log(be,'train step B=16 32x32', ((performance.now()-t0)/5).toFixed(0),'ms');
