console.log('odpkit');
